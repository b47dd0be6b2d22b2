import Foundation

/// The state of REST signaling, as shown by `status` and the `signaling` event.
public struct SignalingStatus: Sendable, Equatable, CustomStringConvertible {
    /// Coarse state of the signaling.
    public enum State: String, Sendable, Equatable, CaseIterable {
        /// Signaling is turned off (profile `none`) or not running.
        case off
        /// Running, no call.
        case idle
        /// The platform has the agent's desired state.
        case synced
        /// Finding the session or sending a change.
        case pending
        /// The last request failed transiently; waiting to retry.
        case retrying
        /// A request failed in a way retrying will not fix (403, 400, bad credentials).
        case failed
    }

    /// The coarse state.
    public var state: State
    /// The platform session being signaled, when known.
    public var sessionID: String?
    /// What went wrong last, while `retrying` or `failed` (never contains secrets).
    public var lastError: String?
    /// When a request last confirmed the platform's state.
    public var lastSyncAt: Date?
    /// The mute state the platform last reported or accepted.
    public var platformMuted: Bool?
    /// The profile running (`sessions` or `genesys`), when one runs.
    public var profile: SignalingProfileKind?
    /// `genesys`: the conversation of the agent's call.
    public var conversationID: String?
    /// `genesys`: the agent's participant in it.
    public var participantID: String?
    /// `genesys`: the notifications WebSocket.
    public var channel: ChannelStatus?

    public init(
        state: State,
        sessionID: String? = nil,
        lastError: String? = nil,
        lastSyncAt: Date? = nil,
        platformMuted: Bool? = nil,
        profile: SignalingProfileKind? = nil
    ) {
        self.profile = profile
        self.state = state
        self.sessionID = sessionID
        self.lastError = lastError
        self.lastSyncAt = lastSyncAt
        self.platformMuted = platformMuted
    }

    public var description: String {
        var parts = ["state: \(self.state.rawValue)"]
        if let sessionID { parts.append("session: \(sessionID)") }
        if let conversationID { parts.append("conversation: \(conversationID)") }
        if let platformMuted { parts.append("platformMuted: \(platformMuted)") }
        if let channel { parts.append("channel: \(channel.state.rawValue)") }
        if let lastError { parts.append("error: \(lastError)") }
        return "SignalingStatus(" + parts.joined(separator: ", ") + ")"
    }
}

/// The state of the `genesys` profile's notifications WebSocket.
public struct ChannelStatus: Sendable, Equatable {
    public enum State: String, Sendable, Equatable, CaseIterable {
        /// A WebSocket is open and healthy.
        case connected
        /// Reconnecting (a new socket or a new channel is on its way).
        case reconnecting
        /// No socket; the last attempt failed and the next waits for its backoff.
        case down
    }

    public var state: State
    /// Since when it has been in this state.
    public var since: Date

    public init(state: State, since: Date) {
        self.state = state
        self.since = since
    }
}
