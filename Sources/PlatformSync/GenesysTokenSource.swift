import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The user token of the `genesys` profile, for each of its three grants (SPEC §5b).
///
/// * `user-token`: the token the agent desktop handed over (``setToken(_:expiresIn:)``)
///   or the contents of `api.token-file`, re-read whenever the file changes.
/// * `pkce`: an access token from the refresh token kept in the state directory (0600),
///   refreshed a margin before it expires; ``completeLogin(code:verifier:redirectURI:)``
///   stores the first one.
/// * `client-credentials`: the client id and secret, HTTP Basic.
///
/// Fetches are single-flight; a token the platform rejected is dropped once
/// (``invalidate(_:)``) so concurrent 401s cause one refetch.
actor GenesysTokenSource {
    private let configuration: PlatformSyncConfiguration
    private let settings: GenesysSettings
    private let httpClient: HTTPClient
    private let logger: Logger
    private var cached: (token: AccessToken, expiresAt: ContinuousClock.Instant?)?
    private var inFlight: Task<AccessToken, any Error>?
    private var fileStamp: Date?
    private let handOff: TokenHandOff
    private var rejected: Secret?

    init(configuration: PlatformSyncConfiguration, settings: GenesysSettings, httpClient: HTTPClient,
         handOff: TokenHandOff, logger: Logger) {
        self.configuration = configuration
        self.settings = settings
        self.httpClient = httpClient
        self.handOff = handOff
        self.logger = logger
    }

    /// When the current token should be renewed, if the grant can renew on its own.
    var refreshDeadline: ContinuousClock.Instant? {
        guard self.settings.grant != .userToken, let cached else { return nil }
        return cached.token.refreshAt
    }

    /// A valid token, fetching or refreshing one when needed.
    func token() async throws -> AccessToken {
        if self.settings.grant == .userToken {
            let token = try self.userToken()
            self.handOff.markUsed()
            return token
        }
        if let cached, ContinuousClock.now < cached.token.refreshAt { return cached.token }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await self.fetch() }
        self.inFlight = task
        defer { self.inFlight = nil }
        let token = try await task.value
        return token
    }

    /// Drops a token the platform answered 401 to.
    func invalidate(_ token: AccessToken) {
        if self.cached?.token.value == token.value { self.cached = nil }
        if self.settings.grant == .userToken {
            self.rejected = token.value
            self.handOff.markUsed()
        }
    }

    private func userToken() throws -> AccessToken {
        if let path = self.settings.tokenFile {
            let stamp = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if stamp != self.fileStamp {
                self.fileStamp = stamp
                if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !value.isEmpty, value != self.handOff.current?.token.revealed {
                        self.handOff.set(Secret(value), expiresIn: nil)
                    }
                }
            }
        }
        guard let handedOver = self.handOff.current else {
            throw SignalingError.unauthorized("no user token yet: hand one over with auth.setToken or api.token-file")
        }
        if let expiresAt = handedOver.expiresAt, ContinuousClock.now >= expiresAt {
            throw SignalingError.unauthorized("the user token has expired: hand a new one over with auth.setToken")
        }
        if handedOver.token == self.rejected, !handedOver.fresh {
            throw SignalingError.unauthorized("the platform rejected the user token (401): hand a new one over with auth.setToken")
        }
        return AccessToken(value: handedOver.token, refreshAt: handedOver.expiresAt ?? .now + .seconds(86_400 * 365))
    }

    private func fetch() async throws -> AccessToken {
        switch self.settings.grant {
        case .userToken:
            return try self.userToken()
        case .clientCredentials:
            return try await self.request(grant: [("grant_type", "client_credentials")], basic: true)
        case .pkce:
            guard let refresh = self.readRefreshToken() else {
                throw SignalingError.unauthorized("not logged in: run softphonectl login")
            }
            do {
                return try await self.request(
                    grant: [("grant_type", "refresh_token"), ("refresh_token", refresh.revealed), ("client_id", self.configuration.clientID)],
                    basic: !self.configuration.clientSecret.isEmpty)
            } catch let error as SignalingError where error.statusCode == 400 || error.statusCode == 401 {
                throw SignalingError.unauthorized("the refresh token was refused; run softphonectl login again (\(error.message))")
            }
        }
    }

    /// Exchanges an authorization code (PKCE) for the first tokens and keeps the refresh token.
    func completeLogin(code: String, verifier: String, redirectURI: String) async throws {
        let token = try await self.request(
            grant: [("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier),
                    ("client_id", self.configuration.clientID), ("redirect_uri", redirectURI)],
            basic: false)
        self.logger.info("logged in with the authorization-code grant (PKCE)")
        _ = token
    }

    /// Posts to the token endpoint; keeps a returned refresh token (grant `pkce`).
    private func request(grant: [(String, String)], basic: Bool) async throws -> AccessToken {
        var request = HTTPClientRequest(url: self.settings.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        if basic {
            let pair = self.configuration.clientID + ":" + self.configuration.clientSecret.revealed
            request.headers.add(name: "Authorization", value: "Basic " + Data(pair.utf8).base64EncodedString())
        }
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(grant)))
        let requestedAt = ContinuousClock.now
        let response = try await SessionsAPIClient.perform(
            request, client: self.httpClient, timeout: self.configuration.requestTimeout, label: "token request", logger: self.logger)
        guard (200..<300).contains(response.status) else {
            let detail = SessionsAPIClient.platformMessage(response.body).map { ": \($0)" } ?? ""
            if response.status == 429 || response.status >= 500 {
                try SessionsAPIClient.check(response, label: "token request", requiredScope: "", sessionCall: false)
            }
            throw SignalingError.http(status: response.status, "token request: HTTP \(response.status)\(detail)")
        }
        struct TokenResponse: Decodable {
            var access_token: String
            var expires_in: Double?
            var refresh_token: String?
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: response.body), !decoded.access_token.isEmpty else {
            throw SignalingError.invalidResponse("token request: the answer has no access_token")
        }
        if let refresh = decoded.refresh_token { try self.storeRefreshToken(Secret(refresh)) }
        let lifetime = Duration.milliseconds(Int64((decoded.expires_in ?? 3600) * 1000))
        let margin = self.configuration.tokenMargin
        let usable = lifetime > margin * 2 ? lifetime - margin : lifetime / 2
        let token = AccessToken(value: Secret(decoded.access_token), refreshAt: requestedAt + usable)
        self.cached = (token, requestedAt + lifetime)
        return token
    }

    private func readRefreshToken() -> Secret? {
        guard let path = self.settings.refreshTokenPath,
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : Secret(value)
    }

    /// Writes the refresh token to a new 0600 file and renames it over the old one, so a
    /// crash never leaves a half-written or world-readable token.
    private func storeRefreshToken(_ token: Secret) throws {
        guard let path = self.settings.refreshTokenPath, let directory = self.settings.stateDirectory else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = path + ".new"
        _ = FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let handle = FileHandle(forWritingAtPath: temporary) else {
            throw SignalingError.configuration("cannot write the refresh token to \(directory)")
        }
        handle.write(Data((token.revealed + "\n").utf8))
        try handle.close()
        guard rename(temporary, path) == 0 else {
            throw SignalingError.configuration("cannot keep the refresh token in \(path): errno \(errno)")
        }
    }
}

/// The user token the desktop handed over (`auth.setToken` or the token file), shared by
/// the daemon-facing API and the token source.
final class TokenHandOff: Sendable {
    struct Handed: Sendable {
        var token: Secret
        var expiresAt: ContinuousClock.Instant?
        /// Not yet tried against the platform: a token handed over again after a 401 is tried again.
        var fresh: Bool
    }

    private let value = Mutex<Handed?>(nil)

    var current: Handed? { self.value.withLock { $0 } }

    func set(_ token: Secret, expiresIn: Duration?) {
        self.value.withLock { $0 = Handed(token: token, expiresAt: expiresIn.map { .now + $0 }, fresh: true) }
    }

    func markUsed() {
        self.value.withLock { $0?.fresh = false }
    }
}
