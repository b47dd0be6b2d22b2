/// The event names of SPEC §3, plus `subscriptionLost`, sent to a subscriber just before
/// the daemon drops it for reading too slowly.
public enum ControlEventType: String, Sendable, Hashable, CaseIterable, Codable {
    case mute
    case unmute
    case remoteMute
    case remoteUnmute
    case speakingWhileMuted
    case callStarted
    case callEnded
    /// A DTMF digit from the far end has ended: `digit`, `durationMs`.
    case dtmf
    case signaling
    case deviceError
    case deviceRecovered
    case subscriptionLost
}
