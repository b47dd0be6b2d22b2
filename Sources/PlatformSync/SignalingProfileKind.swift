/// Which platform API the daemon signals mute state to.
///
/// The profile is a seam: each kind maps to an implementation behind
/// ``PlatformSyncService``'s one daemon-facing API (call started and ended, desired
/// state, remote changes, status), so the daemon does not know which platform it talks to.
public enum SignalingProfileKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The interactive-sessions REST contract of the user's tutorial (SPEC §5).
    case sessions
    /// The real Genesys Cloud Platform API: participant PATCH and the notifications WebSocket (SPEC §5b).
    case genesys
    /// Signaling is off: the daemon only mutes locally.
    case none

    public var description: String { self.rawValue }
}
