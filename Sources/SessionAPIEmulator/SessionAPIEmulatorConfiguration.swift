/// Who may use the emulated platform and how it behaves.
public struct SessionAPIEmulatorConfiguration: Sendable {
    /// An OAuth client registered with the emulated platform.
    public struct Client: Sendable {
        /// The client secret the token endpoint expects.
        public var secret: String
        /// The scopes this client may request.
        public var grantedScopes: Set<String>

        public init(secret: String, grantedScopes: Set<String> = ["session:read", "session:write"]) {
            self.secret = secret
            self.grantedScopes = grantedScopes
        }
    }

    /// How a successful PATCH answers.
    public enum PatchResponse: Sendable {
        /// 204 No Content.
        case noContent
        /// 200 with the session.
        case session
    }

    /// Registered clients by client id.
    public var clients: [String: Client]
    /// Known user ids. Empty means any user id is accepted.
    public var users: Set<String>
    /// Lifetime of issued tokens (`expires_in`), in seconds.
    public var tokenLifetime: Int
    /// When a session query finds no active voice session for a known user, create one.
    public var autoCreateSessions: Bool
    /// Path prefix of the API (the base URL's path).
    public var basePath: String
    /// Path of the token endpoint.
    public var tokenPath: String
    /// How a successful PATCH answers.
    public var patchResponse: PatchResponse

    public init(
        clients: [String: Client] = [:],
        users: Set<String> = [],
        tokenLifetime: Int = 3600,
        autoCreateSessions: Bool = false,
        basePath: String = "/api/v2",
        tokenPath: String = "/oauth/token",
        patchResponse: PatchResponse = .noContent
    ) {
        self.clients = clients
        self.users = users
        self.tokenLifetime = tokenLifetime
        self.autoCreateSessions = autoCreateSessions
        self.basePath = basePath
        self.tokenPath = tokenPath
        self.patchResponse = patchResponse
    }
}
