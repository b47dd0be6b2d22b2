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
    /// SIP: an INVITE rings (`from`, `display`, `callId`, `autoAnswer`).
    case incomingCall
    /// SIP: our call rings (180) or has early media (183): `status`.
    case callProgress
    /// SIP: the registration changed: `state`, `reason`, `expiresIn`.
    case registration
    case deviceError
    case deviceRecovered
    case subscriptionLost
}
