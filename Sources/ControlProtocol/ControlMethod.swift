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
    /// RFC 4733 DTMF digits to the far end.
    case callDTMF = "call.dtmf"
    /// SIP: place a call to a URI, or a user or number at the registrar's domain.
    case callDial = "call.dial"
    /// SIP: refuse the ringing call (486 or 603).
    case callReject = "call.reject"
    /// SIP: our own hold and resume re-INVITEs.
    case callHold = "call.hold"
    case callResume = "call.resume"
    /// `genesys`, grant `user-token`: the desktop hands over its token.
    case authSetToken = "auth.setToken"
    /// `genesys`, grant `pkce`: begin the login; the result says which URL to open.
    case authLogin = "auth.login"
    /// `genesys`, grant `pkce`: wait until the login begun by `auth.login` completed.
    case authLoginWait = "auth.loginWait"
}
