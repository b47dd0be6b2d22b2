import MediaCore
import MediaEngine

/// Where the call is, with what each state needs: the one place the call core keeps it.
///
/// `phase` is its public projection (`CallPhase`), reported in `CallEvent.stateChanged`.
enum CallState {
    case idle
    /// Set up across an `await` (WebRTC gathering, taking the DTLS client role).
    case preparing(CallID)
    /// Our offer is out.
    case calling(CallID, OutgoingOffer)
    /// Our answer to the far end's offer is written; the media has not started.
    case ringing(CallID, PreparedAnswer, PlatformCallContext)
    /// The media runs; `held` when the negotiated direction is not `sendrecv`.
    case connected(Call)
    case held(Call)
    /// The media is being stopped.
    case ending(CallID)

    var phase: CallPhase {
        switch self {
        case .idle: .idle
        case .preparing: .preparing
        case .calling: .calling
        case .ringing: .ringing
        case .connected: .connected
        case .held: .held
        case .ending: .ending
        }
    }

    var id: CallID? {
        switch self {
        case .idle: nil
        case .preparing(let id), .calling(let id, _), .ringing(let id, _, _), .ending(let id): id
        case .connected(let call), .held(let call): call.id
        }
    }

    /// The call whose media runs.
    var call: Call? {
        switch self {
        case .connected(let call), .held(let call): call
        default: nil
        }
    }

    /// `connected` or `held`, as the direction says.
    static func running(_ call: Call) -> CallState {
        call.summary.direction == .sendrecv && !call.holding ? .connected(call) : .held(call)
    }
}

/// A call whose media runs.
struct Call {
    let id: CallID
    let media: CallMedia
    var summary: CallSummary
    var transport: CallTransport
    /// This side holds the call (our sendonly offer): nothing is sent.
    var holding = false
}

/// How a call's media travels, with what that way needs.
enum CallTransport {
    /// `call.start`: a fixed peer with configured keys; no SDP, so no re-offer.
    case `static`
    /// SRTP keyed in the SDP: what was agreed (the keys) and what we wrote.
    case sdes(negotiated: NegotiatedMedia, local: LocalMediaParameters)
    /// ICE + DTLS-SRTP.
    case webrtc(WebRTCCall)

    var kind: CallTransportKind {
        if case .webrtc = self { return .webrtc }
        return .sdes
    }

    var webrtcTransport: WebRTCTransport? {
        if case .webrtc(let call) = self { return call.transport }
        return nil
    }
}

/// A WebRTC call's side of the offer/answer: its ICE/DTLS transport, what we wrote, what was agreed.
struct WebRTCCall {
    let transport: WebRTCTransport
    var local: LocalMediaParameters
    var parameters: WebRTCLocalParameters
    var negotiation: WebRTCNegotiation?
}

/// Our offer, waiting for its answer.
enum OutgoingOffer {
    /// The port is reserved for the SDP; the media binds it when the answer comes.
    case sdes(PendingOffer, port: UInt16)
    /// The transport has gathered and waits as DTLS server.
    case webrtc(WebRTCCall)

    /// Frees what the offer holds (a WebRTC transport).
    func discard() {
        if case .webrtc(let call) = self { call.transport.close() }
    }
}

/// Our answer to the far end's offer, written; its media not started.
enum PreparedAnswer {
    case sdes(negotiated: NegotiatedMedia, local: LocalMediaParameters, port: UInt16)
    /// With its negotiation.
    case webrtc(WebRTCCall)

    func discard() {
        if case .webrtc(let call) = self { call.transport.close() }
    }
}

/// The SDP a step produced, and the call it belongs to.
public struct CallDescription: Sendable, Equatable {
    public var id: CallID
    public var sdp: String
}
