import Foundation
import MediaCore

/// Where the phone line's registration stands.
public enum RegistrationState: String, Sendable, Hashable, CaseIterable {
    case registering, registered, failed, unregistered
}

/// The phone line's registration, as front ends report it (`status.sip`, the `registration` event).
public struct RegistrationStatus: Sendable, Equatable {
    public var state: RegistrationState
    /// The last status and phrase, or the transport error; nil while all is well.
    public var reason: String?
    /// Seconds until the binding runs out (registered only).
    public var expiresIn: Int?
    public var aor: String
    /// Where REGISTER goes.
    public var registrar: String
    /// Our Contact as the registrar accepted it.
    public var contact: String?

    public init(state: RegistrationState, reason: String? = nil, expiresIn: Int? = nil, aor: String, registrar: String,
                contact: String? = nil) {
        self.state = state
        self.reason = reason
        self.expiresIn = expiresIn
        self.aor = aor
        self.registrar = registrar
        self.contact = contact
    }
}

/// Which side placed a phone call.
public enum CallOrigin: String, Sendable, Hashable {
    case incoming, outgoing
}

/// A call on the phone line as front ends report it: the core's handle and phase, and the
/// signaling's identity of it (SIP's Call-ID, From, To).
public struct PhoneCall: Sendable, Equatable {
    public var id: CallID
    /// `ringing`, `calling`, `early`, `connected`, `held`, `ending`.
    public var state: String
    public var direction: CallOrigin
    /// The far end's address (URI).
    public var remote: String
    public var callID: String
    public var from: String
    public var to: String
    /// The far end's display name, when it gave one.
    public var display: String?

    public init(id: CallID, state: String, direction: CallOrigin, remote: String, callID: String, from: String,
                to: String, display: String?) {
        self.id = id
        self.state = state
        self.direction = direction
        self.remote = remote
        self.callID = callID
        self.from = from
        self.to = to
        self.display = display
    }
}

/// What happened on the phone line (SIP), beside the call core's own call events.
public enum PhoneEvent: Sendable, Equatable {
    case registration(RegistrationStatus)
    /// An incoming call rings; `autoAnswer` when it will be answered by itself.
    case incomingCall(PhoneCall, autoAnswer: Bool)
    /// Our outgoing call rings (180) or has early media (183).
    case callProgress(PhoneCall, status: Int)
}

/// The phone line's state for `status`.
public struct PhoneStatus: Sendable, Equatable {
    public var registration: RegistrationStatus?
    public var call: PhoneCall?
    /// The addresses it listens on for calls (SIP URIs).
    public var listening: [String]

    public init(registration: RegistrationStatus?, call: PhoneCall?, listening: [String]) {
        self.registration = registration
        self.call = call
        self.listening = listening
    }
}

/// A phone line (the SIP user agent): the verbs other front ends (the control socket) use to
/// place, answer and end its calls. The calls themselves run in the call core; these
/// requests go through the line so that its signaling follows (INVITE, 200, BYE, CANCEL).
public protocol PhoneLine: Sendable {
    /// Registration and the line's current call, read without waiting.
    var status: PhoneStatus { get }
    /// Places a call to a SIP URI, or a user or number at the registrar's domain.
    func dial(_ target: String) async throws(CallError) -> PhoneCall
    /// Answers the ringing incoming call.
    func answer() async throws(CallError) -> PhoneCall
    /// Refuses the ringing incoming call with 486 or 603.
    func reject(status: Int) async throws(CallError)
    /// Ends the line's call (BYE, CANCEL, or 603 while ringing).
    /// - Returns: false when the line has no call.
    func hangup() async -> Bool
    /// Puts the call on hold, or takes it off (our own re-INVITE).
    func hold() async throws(CallError) -> PhoneCall
    func resume() async throws(CallError) -> PhoneCall
    /// Sends digits the way the line is set to (SIP INFO); nil when they go in the media (RFC 4733).
    func sendDigits(_ digits: DTMFDigits) async throws(CallError) -> Int?
}
