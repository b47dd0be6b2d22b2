/// Which REST signaling profile is active.
public enum SignalingProfile: String, Sendable, Hashable, CaseIterable, Codable {
    case sessions
    case genesys
    case none
}

/// The state of REST signaling.
public enum SignalingState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Signaling is turned off (profile `none`).
    case off
    /// No call, nothing to signal.
    case idle
    /// The platform has the daemon's state.
    case synced
    /// A change is on its way.
    case pending
    /// The last attempt failed; retrying with backoff.
    case retrying
    /// Gave up (e.g. 403); the `lastError` says why.
    case failed
}

/// The `signaling` member of `status`.
public struct SignalingInfo: Sendable, Hashable, Codable {
    public var profile: SignalingProfile
    public var state: SignalingState
    public var sessionId: String?
    public var lastError: String?
    /// ISO-8601 with milliseconds, UTC.
    public var lastSyncAt: String?
    /// The mute state last read from or written to the platform.
    public var platformMuted: Bool?
    /// `genesys`: the conversation of the agent's call.
    public var conversationId: String?
    /// `genesys`: the agent's participant in it.
    public var participantId: String?
    /// `genesys`: the notifications WebSocket.
    public var channel: ChannelInfo?

    public init(
        profile: SignalingProfile, state: SignalingState, sessionId: String? = nil,
        lastError: String? = nil, lastSyncAt: String? = nil, platformMuted: Bool? = nil,
        conversationId: String? = nil, participantId: String? = nil, channel: ChannelInfo? = nil
    ) {
        self.conversationId = conversationId
        self.participantId = participantId
        self.channel = channel
        self.profile = profile
        self.state = state
        self.sessionId = sessionId
        self.lastError = lastError
        self.lastSyncAt = lastSyncAt
        self.platformMuted = platformMuted
    }
}

/// The `channel` member of `status.signaling` (profile `genesys`).
public struct ChannelInfo: Sendable, Hashable, Codable {
    /// `connected`, `reconnecting` or `down`.
    public var state: String
    /// ISO-8601 with milliseconds, UTC.
    public var since: String

    public init(state: String, since: String) {
        self.state = state
        self.since = since
    }
}

/// Params of `auth.setToken`: `{"accessToken", "expiresIn"}` (seconds).
public struct SetTokenParams: Sendable, Hashable, Codable {
    public var accessToken: String
    public var expiresIn: Int?

    public init(accessToken: String, expiresIn: Int? = nil) {
        self.accessToken = accessToken
        self.expiresIn = expiresIn
    }
}

/// Result of `auth.setToken`: `{"accepted": true, "expiresAt"}`.
public struct SetTokenResult: Sendable, Hashable, Codable {
    public var accepted: Bool
    /// ISO-8601 with milliseconds, UTC; absent when the lifetime is unknown.
    public var expiresAt: String?

    public init(accepted: Bool, expiresAt: String?) {
        self.accepted = accepted
        self.expiresAt = expiresAt
    }
}

/// Result of `auth.login`: the URL to open in a browser, and the loopback redirect.
public struct LoginResult: Sendable, Hashable, Codable {
    public var url: String
    public var redirectUri: String

    public init(url: String, redirectUri: String) {
        self.url = url
        self.redirectUri = redirectUri
    }
}

/// Params of `auth.loginWait`: `{"timeoutSeconds"?}` (default 300).
public struct LoginWaitParams: Sendable, Hashable, Codable {
    public var timeoutSeconds: Int?

    public init(timeoutSeconds: Int? = nil) {
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Result of `auth.loginWait`: `{"loggedIn": true}`.
public struct LoginWaitResult: Sendable, Hashable, Codable {
    public var loggedIn: Bool

    public init(loggedIn: Bool) {
        self.loggedIn = loggedIn
    }
}
