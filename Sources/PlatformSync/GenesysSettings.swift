import Foundation

/// How the `genesys` profile obtains its user token (`api.grant`).
public enum GenesysGrant: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The agent desktop hands its token over (`auth.setToken`, or `api.token-file`).
    case userToken = "user-token"
    /// `softphonectl login`: authorization code with PKCE and a loopback redirect; the
    /// daemon keeps the refresh token.
    case pkce
    /// The client-credentials grant, where the platform allows it for call control.
    case clientCredentials = "client-credentials"

    public var description: String { self.rawValue }
}

/// Settings of the `genesys` profile (SPEC §5b), beside the shared ones in
/// ``PlatformSyncConfiguration``.
public struct GenesysSettings: Sendable, CustomStringConvertible {
    /// API base, e.g. `https://api.mypurecloud.com/api/v2`.
    public var apiBaseURL: String
    /// OAuth host, e.g. `https://login.mypurecloud.com` (token at `/oauth/token`,
    /// authorize at `/oauth/authorize`).
    public var loginBaseURL: String
    public var grant: GenesysGrant
    /// A file holding the user token (grant `user-token`); re-read when it changes.
    public var tokenFile: String?
    /// Where the refresh token of grant `pkce` is kept (mode 0600).
    public var stateDirectory: String?
    /// The loopback port of the PKCE redirect; 0 picks a free one.
    public var redirectPort: Int
    /// No WebSocket message for this long: send a ping (SPEC §5b: 45 s).
    public var socketSilence: Duration
    /// No answer to the ping within this long: the socket is dead, replace it.
    public var pongTimeout: Duration
    /// A channel is renewed this long before its `expires`.
    public var channelRenewMargin: Duration
    /// A PATCH accepted but not confirmed by an event within this long is re-read.
    public var confirmationTimeout: Duration
    /// A 429 asking for a longer wait than this is not retried (the Genesys SDKs' 180 s).
    public var maxRetryAfter: Duration

    public init(
        apiBaseURL: String,
        loginBaseURL: String,
        grant: GenesysGrant = .userToken,
        tokenFile: String? = nil,
        stateDirectory: String? = nil,
        redirectPort: Int = 0,
        socketSilence: Duration = .seconds(45),
        pongTimeout: Duration = .seconds(10),
        channelRenewMargin: Duration = .seconds(3600),
        confirmationTimeout: Duration = .seconds(5),
        maxRetryAfter: Duration = .seconds(180)
    ) {
        self.apiBaseURL = apiBaseURL
        self.loginBaseURL = loginBaseURL
        self.grant = grant
        self.tokenFile = tokenFile
        self.stateDirectory = stateDirectory
        self.redirectPort = redirectPort
        self.socketSilence = socketSilence
        self.pongTimeout = pongTimeout
        self.channelRenewMargin = channelRenewMargin
        self.confirmationTimeout = confirmationTimeout
        self.maxRetryAfter = maxRetryAfter
    }

    /// The hosts of a Genesys Cloud region: `https://api.{env}/api/v2` and `https://login.{env}`.
    public static func hosts(environment: String) -> (api: String, login: String) {
        ("https://api.\(environment)/api/v2", "https://login.\(environment)")
    }

    /// The token endpoint.
    public var tokenURL: String { Self.trimmed(self.loginBaseURL) + "/oauth/token" }
    /// The authorize endpoint.
    public var authorizeURL: String { Self.trimmed(self.loginBaseURL) + "/oauth/authorize" }

    static func trimmed(_ url: String) -> String {
        var value = url
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }

    /// The file the refresh token is kept in.
    public var refreshTokenPath: String? {
        self.stateDirectory.map { Self.trimmed($0) + "/genesys-refresh-token" }
    }

    public var description: String {
        "GenesysSettings(api: \(self.apiBaseURL), login: \(self.loginBaseURL), grant: \(self.grant), "
            + "tokenFile: \(self.tokenFile ?? "-"), stateDirectory: \(self.stateDirectory ?? "-"))"
    }
}
