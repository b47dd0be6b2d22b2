/// Which platform API the daemon signals mute state to.
///
/// The profile is a seam: each kind maps to a ``SignalingProfile`` implementation, so a
/// later `genesys` profile (conversation participants and the notifications WebSocket)
/// slots in beside `sessions` without touching the publisher and watcher logic.
public enum SignalingProfileKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The interactive-sessions REST contract (SPEC §5).
    case sessions
    /// Signaling is off: the daemon only mutes locally.
    case none

    public var description: String { self.rawValue }
}
