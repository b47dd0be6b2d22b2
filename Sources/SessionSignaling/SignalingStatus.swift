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

    public init(
        state: State,
        sessionID: String? = nil,
        lastError: String? = nil,
        lastSyncAt: Date? = nil,
        platformMuted: Bool? = nil
    ) {
        self.state = state
        self.sessionID = sessionID
        self.lastError = lastError
        self.lastSyncAt = lastSyncAt
        self.platformMuted = platformMuted
    }

    public var description: String {
        var parts = ["state: \(self.state.rawValue)"]
        if let sessionID { parts.append("session: \(sessionID)") }
        if let platformMuted { parts.append("platformMuted: \(platformMuted)") }
        if let lastError { parts.append("error: \(lastError)") }
        return "SignalingStatus(" + parts.joined(separator: ", ") + ")"
    }
}
