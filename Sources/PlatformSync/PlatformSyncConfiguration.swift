import Foundation

/// Everything the REST signaling needs: where the platform is, who the agent is, and how
/// patiently to talk to it.
public struct PlatformSyncConfiguration: Sendable, CustomStringConvertible {
    /// The scope requested by default: write to set the state, read to find and watch it.
    public static let defaultScope = "session:write session:read"

    /// Which profile to run; `.none` turns signaling off.
    public var profile: SignalingProfileKind
    /// API base, e.g. `https://myorg.mygen.com/api/v2` (no trailing slash needed).
    public var baseURL: String
    /// OAuth token endpoint, e.g. `https://myorg.mygen.com/oauth/token`.
    public var tokenURL: String
    /// OAuth client id (not secret; may be logged).
    public var clientID: String
    /// OAuth client secret.
    public var clientSecret: Secret
    /// The agent's user id, used to find the agent's active voice session.
    public var userID: String
    /// Space-separated scopes requested with the client-credentials grant.
    public var scope: String
    /// How often the session is read during a call to learn remote changes.
    public var pollInterval: Duration
    /// Whether to read the session back after each state change.
    public var verify: Bool
    /// Time limit for one HTTP request (connect and response).
    public var requestTimeout: Duration
    /// A cached token is renewed this long before it expires.
    public var tokenMargin: Duration
    /// First retry delay bound (exponential backoff with full jitter).
    public var backoffBase: Duration
    /// Largest retry delay bound.
    public var backoffMax: Duration
    /// The `genesys` profile's hosts, grant and notification timing.
    public var genesys: GenesysSettings?

    /// - Parameters:
    ///   - profile: `.sessions` (default) or `.none`.
    ///   - baseURL: API base URL.
    ///   - tokenURL: OAuth token URL.
    ///   - clientID: OAuth client id.
    ///   - clientSecret: OAuth client secret.
    ///   - userID: the agent's user id.
    ///   - scope: requested scopes; default `session:write session:read`.
    ///   - pollInterval: default 2 s.
    ///   - verify: default `true`.
    ///   - requestTimeout: default 5 s.
    ///   - tokenMargin: default 60 s.
    ///   - backoffBase: default 1 s.
    ///   - backoffMax: default 30 s.
    public init(
        profile: SignalingProfileKind = .sessions,
        baseURL: String,
        tokenURL: String,
        clientID: String,
        clientSecret: Secret,
        userID: String,
        scope: String = PlatformSyncConfiguration.defaultScope,
        pollInterval: Duration = .seconds(2),
        verify: Bool = true,
        requestTimeout: Duration = .seconds(5),
        tokenMargin: Duration = .seconds(60),
        backoffBase: Duration = .seconds(1),
        backoffMax: Duration = .seconds(30),
        genesys: GenesysSettings? = nil
    ) {
        self.profile = profile
        self.baseURL = baseURL
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.userID = userID
        self.scope = scope
        self.pollInterval = pollInterval
        self.verify = verify
        self.requestTimeout = requestTimeout
        self.tokenMargin = tokenMargin
        self.backoffBase = backoffBase
        self.backoffMax = backoffMax
        self.genesys = genesys
    }

    /// A configuration with the platform's default URLs for an organisation:
    /// `https://{org}.mygen.com/api/v2` and `https://{org}.mygen.com/oauth/token`.
    public static func forOrganization(
        _ org: String,
        clientID: String,
        clientSecret: Secret,
        userID: String
    ) -> PlatformSyncConfiguration {
        let urls = Self.defaultURLs(org: org)
        return PlatformSyncConfiguration(
            baseURL: urls.baseURL,
            tokenURL: urls.tokenURL,
            clientID: clientID,
            clientSecret: clientSecret,
            userID: userID
        )
    }

    /// The default API base and token URLs for an organisation name.
    public static func defaultURLs(org: String) -> (baseURL: String, tokenURL: String) {
        ("https://\(org).mygen.com/api/v2", "https://\(org).mygen.com/oauth/token")
    }

    /// A configuration that turns signaling off.
    public static var off: PlatformSyncConfiguration {
        PlatformSyncConfiguration(
            profile: .none, baseURL: "", tokenURL: "", clientID: "", clientSecret: Secret(""), userID: ""
        )
    }

    /// Checks the values a running profile depends on.
    ///
    /// - Throws: ``SignalingError`` naming the offending setting.
    public func validate() throws {
        guard self.profile != .none else { return }
        if self.profile == .genesys {
            try self.validateGenesys()
            return
        }
        try Self.validateURLs([("base-url", self.baseURL), ("token-url", self.tokenURL)])
        if self.clientID.isEmpty { throw SignalingError.configuration("client-id is empty") }
        if self.clientSecret.isEmpty { throw SignalingError.configuration("client-secret is empty") }
        if self.userID.isEmpty { throw SignalingError.configuration("user-id is empty") }
        try self.validateTiming()
    }

    private static func validateURLs(_ urls: [(name: String, url: String)]) throws {
        for (name, url) in urls {
            guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
                scheme == "http" || scheme == "https", parsed.host != nil
            else {
                throw SignalingError.configuration("\(name) \"\(url)\" is not an http(s) URL")
            }
        }
    }

    private func validateTiming() throws {
        if self.pollInterval <= .zero { throw SignalingError.configuration("poll interval must be positive") }
        if self.requestTimeout <= .zero { throw SignalingError.configuration("request timeout must be positive") }
        if self.backoffBase <= .zero || self.backoffMax < self.backoffBase {
            throw SignalingError.configuration("backoff must satisfy 0 < base <= max")
        }
    }

    private func validateGenesys() throws {
        guard let genesys else { throw SignalingError.configuration("the genesys profile needs its settings") }
        try Self.validateURLs([("base-url", genesys.apiBaseURL), ("login-url", genesys.loginBaseURL)])
        switch genesys.grant {
        case .userToken:
            break
        case .pkce:
            if self.clientID.isEmpty { throw SignalingError.configuration("client-id is empty (grant pkce)") }
            if genesys.stateDirectory == nil {
                throw SignalingError.configuration("grant pkce needs a state directory for the refresh token")
            }
        case .clientCredentials:
            if self.clientID.isEmpty { throw SignalingError.configuration("client-id is empty (grant client-credentials)") }
            if self.clientSecret.isEmpty { throw SignalingError.configuration("client-secret is empty (grant client-credentials)") }
        }
        try self.validateTiming()
        if genesys.socketSilence <= .zero || genesys.pongTimeout <= .zero {
            throw SignalingError.configuration("socket silence and pong timeout must be positive")
        }
    }

    public var description: String {
        "PlatformSyncConfiguration(profile: \(self.profile), baseURL: \(self.baseURL), "
            + "tokenURL: \(self.tokenURL), clientID: \(self.clientID), clientSecret: <redacted>, "
            + "userID: \(self.userID), scope: \(self.scope), pollInterval: \(self.pollInterval), "
            + "verify: \(self.verify))"
    }
}
