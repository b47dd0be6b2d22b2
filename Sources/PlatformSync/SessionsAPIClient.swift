import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The `sessions` REST contract (SPEC §5) as plain async calls: token, find the agent's
/// session, read it, set its mute state.
///
/// Each call is one logical request: it gets a token from the single-flight cache and,
/// on a 401, fetches a new token once and retries once. It does not retry anything
/// else; ``PlatformSyncService`` owns the retry policy.
public final class SessionsAPIClient: Sendable {
    private let configuration: PlatformSyncConfiguration
    private let httpClient: HTTPClient
    private let logger: Logger
    private let tokens: AccessTokenCache
    private let baseURL: String

    /// - Parameters:
    ///   - configuration: URLs, credentials, user and timeouts.
    ///   - httpClient: the client to send with; the caller owns and shuts it down.
    ///   - logger: request-level logging (never includes secrets or tokens).
    public init(configuration: PlatformSyncConfiguration, httpClient: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        let fetcher = TokenFetcher(configuration: configuration, httpClient: httpClient, logger: logger)
        self.tokens = AccessTokenCache(fetch: { try await fetcher.fetch() })
    }

    /// Finds the agent's active voice session.
    ///
    /// - Returns: the session id, or `nil` when the platform has none (yet).
    public func findActiveSession() async throws -> String? {
        let body = Self.sessionQuery(userID: self.configuration.userID)
        let response = try await self.send(
            .POST, path: "/flexiblesearch/queries/sessions/details/query", body: body,
            label: "session query", requiredScope: "session:read"
        )
        try self.check(response, label: "session query", requiredScope: "session:read", sessionCall: false)
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw SignalingError.invalidResponse("session query: the answer is not a JSON object")
        }
        guard let entities = object["entities"] as? [Any] else {
            // Some platforms omit `entities` when nothing matches.
            return nil
        }
        guard let first = entities.first else { return nil }
        guard let entity = first as? [String: Any], let id = entity["id"] as? String, !id.isEmpty else {
            throw SignalingError.invalidResponse("session query: the first entity has no string \"id\"")
        }
        return id
    }

    /// Reads a session's mute state.
    ///
    /// - Throws: ``SignalingError`` with ``SignalingError/isSessionGone`` on 404.
    public func readMuted(sessionID: String) async throws -> Bool {
        let label = "GET session \(sessionID)"
        let response = try await self.send(
            .GET, path: Self.sessionPath(sessionID), body: nil, label: label, requiredScope: "session:read"
        )
        try self.check(response, label: label, requiredScope: "session:read", sessionCall: true)
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let muted = object["muted"] as? Bool
        else {
            throw SignalingError.invalidResponse("\(label): the answer has no boolean \"muted\"")
        }
        return muted
    }

    /// Sets a session's mute state with `PATCH {"muted": …}`.
    ///
    /// - Throws: ``SignalingError`` with ``SignalingError/isSessionGone`` on 404.
    public func setMuted(_ muted: Bool, sessionID: String) async throws {
        let label = "PATCH session \(sessionID)"
        let response = try await self.send(
            .PATCH, path: Self.sessionPath(sessionID), body: Data((muted ? #"{"muted":true}"# : #"{"muted":false}"#).utf8),
            label: label, requiredScope: "session:write"
        )
        try self.check(response, label: label, requiredScope: "session:write", sessionCall: true)
    }

    // MARK: - Request shapes

    /// The exact query body of SPEC §5.2, keys in the documented order.
    static func sessionQuery(userID: String) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let user = (try? encoder.encode(userID)).flatMap { String(data: $0, encoding: .utf8) } ?? "\"\""
        let json =
            #"{"pageSize":1,"query":{"type":"and","clauses":["#
            + #"{"type":"eq","field":"userId","values":["# + user + "]},"
            + #"{"type":"eq","field":"type","values":["voice"]},"#
            + #"{"type":"eq","field":"status","values":["active"]}]}}"#
        return Data(json.utf8)
    }

    static func sessionPath(_ id: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return "/interactive/sessions/" + (id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id)
    }

    // MARK: - Sending

    struct RawResponse: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    private func send(
        _ method: HTTPMethod, path: String, body: Data?, label: String, requiredScope: String
    ) async throws -> RawResponse {
        let token = try await self.tokens.token()
        let first = try await self.execute(method, path: path, body: body, token: token.value, label: label)
        guard first.status == 401 else { return first }
        self.logger.debug("token rejected; fetching a new one", metadata: ["request": "\(label)"])
        await self.tokens.invalidate(token)
        let fresh = try await self.tokens.token()
        return try await self.execute(method, path: path, body: body, token: fresh.value, label: label)
    }

    private func execute(
        _ method: HTTPMethod, path: String, body: Data?, token: Secret, label: String
    ) async throws -> RawResponse {
        try await Self.perform(
            Self.bearerRequest(method, url: self.baseURL + path, body: body, token: token), client: self.httpClient,
            timeout: self.configuration.requestTimeout, label: label, logger: self.logger
        )
    }

    /// A JSON API request with the bearer token.
    static func bearerRequest(_ method: HTTPMethod, url: String, body: Data?, token: Secret) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer " + token.revealed)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// Sends a request and reads its whole answer, turning transport failures into
    /// ``SignalingError`` and keeping cancellation as `CancellationError`.
    static func perform(
        _ request: HTTPClientRequest, client: HTTPClient, timeout: Duration, label: String, logger: Logger
    ) async throws -> RawResponse {
        let started = ContinuousClock.now
        do {
            let response = try await client.execute(request, timeout: TimeAmount(timeout))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            logger.debug(
                "signaling request done",
                metadata: ["request": "\(label)", "status": "\(status)", "elapsed": "\(ContinuousClock.now - started)"]
            )
            return RawResponse(status: status, headers: response.headers, body: Data(bytes.readableBytesView))
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            if let httpError = error as? HTTPClientError, httpError == .cancelled { throw CancellationError() }
            let reason: String
            if let httpError = error as? HTTPClientError,
                httpError == .deadlineExceeded || httpError == .readTimeout || httpError == .connectTimeout
            {
                reason = "timed out after \(timeout)"
            } else {
                reason = "\(error)"
            }
            logger.debug("signaling request failed", metadata: ["request": "\(label)", "reason": "\(reason)"])
            throw SignalingError.transport("\(label): \(reason)")
        }
    }

    private func check(_ response: RawResponse, label: String, requiredScope: String, sessionCall: Bool) throws {
        try Self.check(response, label: label, requiredScope: requiredScope, sessionCall: sessionCall)
    }

    /// Maps a non-2xx answer to the error the retry policy acts on.
    static func check(_ response: RawResponse, label: String, requiredScope: String, sessionCall: Bool) throws {
        let status = response.status
        if (200..<300).contains(status) { return }
        let detail = Self.platformMessage(response.body).map { ": \($0)" } ?? ""
        switch status {
        case 403:
            let scope = Self.missingScope(in: response.body) ?? requiredScope
            throw SignalingError.forbidden(
                scope: scope, "\(label): 403 Forbidden, the token lacks scope \(scope)\(detail)"
            )
        case 404 where sessionCall:
            throw SignalingError.sessionNotFound("\(label): 404, the session has ended")
        case 429, 503:
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.parseRetryAfter($0) }
            throw SignalingError.http(status: status, "\(label): HTTP \(status)\(detail)", retryAfter: retryAfter)
        default:
            throw SignalingError.http(status: status, "\(label): HTTP \(status)\(detail)")
        }
    }

    /// The platform's own short explanation, if its error body has one.
    static func platformMessage(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        let text = (object["message"] as? String) ?? (object["error_description"] as? String)
            ?? (object["error"] as? String)
        guard let text, !text.isEmpty else { return nil }
        return String(text.prefix(200))
    }

    /// A missing scope named by the platform: `missingScope`, or a `session:*` scope
    /// mentioned in the message.
    static func missingScope(in body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        if let scope = object["missingScope"] as? String, !scope.isEmpty { return scope }
        let text = [object["message"], object["error_description"]].compactMap { $0 as? String }.joined(separator: " ")
        for word in text.split(whereSeparator: { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "," }) {
            let cleaned = word.trimmingCharacters(in: CharacterSet(charactersIn: ".;()"))
            if cleaned.hasPrefix("session:") { return String(cleaned) }
        }
        return nil
    }
}

/// Fetches tokens with the client-credentials grant (SPEC §5.1).
struct TokenFetcher: Sendable {
    let configuration: PlatformSyncConfiguration
    let httpClient: HTTPClient
    let logger: Logger

    func fetch() async throws -> AccessToken {
        var request = HTTPClientRequest(url: self.configuration.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        let form = FormEncoding.encode([
            ("grant_type", "client_credentials"),
            ("client_id", self.configuration.clientID),
            ("client_secret", self.configuration.clientSecret.revealed),
            ("scope", self.configuration.scope),
        ])
        request.body = .bytes(ByteBuffer(string: form))
        let label = "token request"
        let requestedAt = ContinuousClock.now
        let response = try await SessionsAPIClient.perform(
            request, client: self.httpClient, timeout: self.configuration.requestTimeout, label: label,
            logger: self.logger
        )
        switch response.status {
        case 200..<300:
            break
        case 400, 403:
            let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
            let code = object?["error"] as? String
            let detail = SessionsAPIClient.platformMessage(response.body).map { ": \($0)" } ?? ""
            if code == "invalid_scope" || response.status == 403 {
                let scope = SessionsAPIClient.missingScope(in: response.body) ?? self.configuration.scope
                throw SignalingError.forbidden(
                    scope: scope, "\(label): the client is not granted scope \(scope)\(detail)"
                )
            }
            throw SignalingError.http(status: response.status, "\(label): HTTP \(response.status)\(detail)")
        case 401:
            throw SignalingError.configuration(
                "token request: client id \(self.configuration.clientID) or its secret was rejected (401)"
            )
        default:
            try SessionsAPIClient.check(response, label: label, requiredScope: self.configuration.scope, sessionCall: false)
        }
        struct TokenResponse: Decodable {
            var access_token: String
            var token_type: String?
            var expires_in: Double?
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: response.body),
            !decoded.access_token.isEmpty
        else {
            throw SignalingError.invalidResponse("token request: the answer has no access_token")
        }
        if let type = decoded.token_type, type.lowercased() != "bearer" {
            throw SignalingError.invalidResponse("token request: unsupported token_type \(type)")
        }
        let lifetime = Duration.milliseconds(Int64((decoded.expires_in ?? 3600) * 1000))
        let margin = self.configuration.tokenMargin
        // A token shorter-lived than twice the margin is used for half its life instead.
        let usable = lifetime > margin * 2 ? lifetime - margin : lifetime / 2
        self.logger.debug("fetched access token", metadata: ["expiresIn": "\(lifetime)"])
        return AccessToken(value: Secret(decoded.access_token), refreshAt: requestedAt + usable)
    }
}
