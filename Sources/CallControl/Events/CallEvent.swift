import Foundation
import MediaCore

/// Where a call is. One value, changed only by the call core.
public enum CallPhase: String, Sendable, Hashable, CaseIterable {
    /// No call, and none on the way.
    case idle
    /// A call is being set up across a wait (WebRTC: gathering candidates, taking the DTLS
    /// role): no other request may start one meanwhile.
    case preparing
    /// Our offer is out; the call starts with the far end's answer (SIP: INVITE sent).
    case calling
    /// The far end's offer is answered; the media starts when the front end says (SIP:
    /// 180/200 sent, waiting for the ACK).
    case ringing
    /// Media flows both ways as negotiated.
    case connected
    /// A re-offer put the call on hold (`sendonly`, `recvonly` or `inactive`).
    case held
    /// The media is being stopped (RTCP BYE, DTLS close).
    case ending
}

/// Why a call ended.
public enum CallEndReason: String, Sendable, Hashable, CaseIterable {
    /// This side hung up (a front end, or shutdown).
    case hangup
    /// The far end sent an RTCP BYE (or closed DTLS).
    case bye
    /// No media from the far end for the media timeout (or ICE consent was lost), or (SIP) the
    /// far end let the session timer (RFC 4028) run out without a refresh (status 408).
    case timeout
    /// The WebRTC transport failed, or (SIP) the far end refused the call with a final status.
    case failed
    /// (SIP) The caller cancelled before the call was answered.
    case cancelled
    /// (SIP) This side refused a ringing call (486/603).
    case rejected
    /// (SIP) The far end was busy (486, 600).
    case busy
    /// (SIP) Nobody answered (408, 480, 487 after our CANCEL).
    case unanswered
}

/// The current call as front ends report it.
public struct CallSummary: Sendable, Equatable {
    public var id: CallID
    /// The far end, `host:port` (`[v6]:port` for IPv6).
    public var remote: String
    public var localPort: UInt16
    /// The SDES suite in use; nil for DTLS-SRTP (known once the handshake ends).
    public var suite: SRTPSuite?
    public var direction: MediaDirection
    public var startedAt: Date
    public var transport: CallTransportKind
    public var codec: AudioCodec
    /// The platform's identity of the call, as it was started.
    public var context: PlatformCallContext
}

/// What happened to calls, in the order it happened.
public enum CallEvent: Sendable, Equatable {
    /// The call's state changed.
    case stateChanged(CallID, CallPhase)
    /// A call's media started; the mute state it started with.
    case started(CallSummary, muted: Bool, mode: MuteMode)
    /// `status`: the far end's final SIP status when that is what ended it.
    case ended(CallID, reason: CallEndReason, status: Int?)
    /// A DTMF digit from the far end has ended (RFC 4733).
    case dtmf(CallID, digit: Character, durationMilliseconds: Int)
    /// Voice on the muted microphone (at most once per 10 s).
    case speakingWhileMuted(CallID)
}

/// Why the mute state changed, when it was not a request.
public enum MuteChangeReason: String, Sendable, Hashable {
    /// The reset to `mute.initial` at call end (the device's switch does not follow it).
    case callEnded
}

/// A real change of the mute state, as the one owner carried it out.
public struct MuteEvent: Sendable, Equatable {
    public var change: MuteChange
    public var state: MuteState
    public var reason: MuteChangeReason?
}

/// The audio devices: the call's capture/playback, or the capture mixer followed for mute.
public enum DeviceEvent: Sendable, Equatable {
    /// A device failed (silence is sent until it recovers); `mixer` names the mixer when it was the mixer.
    case error(String, mixer: String?)
    case recovered(device: String, mixer: String?)
}

/// Every event of the call core, in one order.
public enum CallControlEvent: Sendable, Equatable {
    case call(CallEvent)
    case mute(MuteEvent)
    case device(DeviceEvent)
    case phone(PhoneEvent)
}
