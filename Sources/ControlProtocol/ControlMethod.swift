/// The method names of the control protocol (SPEC §4).
public enum ControlMethod: String, Sendable, CaseIterable, Codable {
    case mute
    case unmute
    case toggle
    case status
    case subscribe
    case callStart = "call.start"
    case callOffer = "call.offer"
    case callAnswer = "call.answer"
    case callAccept = "call.accept"
    case callHangup = "call.hangup"
}
