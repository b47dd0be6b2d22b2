/// Which REST signaling profile is active.
public enum SignalingProfile: String, Sendable, Hashable, CaseIterable, Codable {
    case sessions
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

    public init(
        profile: SignalingProfile, state: SignalingState, sessionId: String? = nil,
        lastError: String? = nil, lastSyncAt: String? = nil, platformMuted: Bool? = nil
    ) {
        self.profile = profile
        self.state = state
        self.sessionId = sessionId
        self.lastError = lastError
        self.lastSyncAt = lastSyncAt
        self.platformMuted = platformMuted
    }
}
