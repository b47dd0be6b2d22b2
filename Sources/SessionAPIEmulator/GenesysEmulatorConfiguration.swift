/// Who may use the emulated Genesys Cloud platform and how it behaves (GENESYS.md §12).
public struct GenesysEmulatorConfiguration: Sendable {
    /// A user of the emulated organisation.
    public struct User: Sendable {
        public var id: String
        public var name: String
        /// Permissions, e.g. `conversation:communication:disconnect` for a supervisor.
        public var permissions: Set<String>

        public init(id: String, name: String? = nil, permissions: Set<String> = []) {
            self.id = id
            self.name = name ?? id
            self.permissions = permissions
        }
    }

    /// An OAuth client registered with the organisation.
    public struct Client: Sendable {
        /// The secret for client-credentials and confidential code grants; `nil` for a
        /// public (PKCE-only) client.
        public var secret: String?
        /// Redirect URIs the authorize endpoint accepts, by prefix (`http://127.0.0.1:` allows
        /// every loopback port).
        public var redirectPrefixes: [String]

        public init(secret: String? = nil, redirectPrefixes: [String] = ["http://127.0.0.1:", "http://localhost:"]) {
            self.secret = secret
            self.redirectPrefixes = redirectPrefixes
        }
    }

    /// The organisation's users.
    public var users: [User]
    /// Registered OAuth clients by client id.
    public var clients: [String: Client]
    /// The user `GET /oauth/authorize` logs in (the emulator has no login page).
    public var loginUserID: String
    /// Lifetime of issued access tokens (`expires_in`), in seconds.
    public var tokenLifetime: Int
    /// How long after a 202 a PATCH (or a supervisor's change) is applied and its event sent.
    public var applyDelay: Duration
    /// Interval of `WebSocket Heartbeat` messages.
    public var heartbeatInterval: Duration
    /// Lifetime of a notification channel.
    public var channelLifetime: Duration
    /// Channels per (user, OAuth client); the next one evicts the oldest.
    public var channelsPerClient: Int
    /// Time between `v2.system.socket_closing` and the server closing that socket.
    public var socketClosingGrace: Duration
    /// Whether a client-credentials token may PATCH `muted` (the real behaviour is unknown).
    public var allowClientCredentialsMute: Bool
    /// Requests per minute per (user, OAuth client) before 429 (`org.app.user.rate.per.minute`).
    public var userRatePerMinute: Int?

    public init(
        users: [User],
        clients: [String: Client],
        loginUserID: String? = nil,
        tokenLifetime: Int = 3600,
        applyDelay: Duration = .milliseconds(150),
        heartbeatInterval: Duration = .seconds(30),
        channelLifetime: Duration = .seconds(24 * 3600),
        channelsPerClient: Int = 20,
        socketClosingGrace: Duration = .seconds(60),
        allowClientCredentialsMute: Bool = false,
        userRatePerMinute: Int? = 300
    ) {
        self.users = users
        self.clients = clients
        self.loginUserID = loginUserID ?? users.first?.id ?? ""
        self.tokenLifetime = tokenLifetime
        self.applyDelay = applyDelay
        self.heartbeatInterval = heartbeatInterval
        self.channelLifetime = channelLifetime
        self.channelsPerClient = channelsPerClient
        self.socketClosingGrace = socketClosingGrace
        self.allowClientCredentialsMute = allowClientCredentialsMute
        self.userRatePerMinute = userRatePerMinute
    }

    /// The permission that lets a user PATCH another user's participant.
    public static let disconnectPermission = "conversation:communication:disconnect"
}
