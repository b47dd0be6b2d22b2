import MediaCore
import MediaEngine

/// How calls are set up and what their media uses: the part of the daemon's configuration
/// the call core reads (and a SIGHUP may change: the Opus bitrate).
public struct CallSettings: Sendable {
    public var audioSource: AudioSourceSpec = .alsa(device: "default")
    public var audioPlayback: AudioSinkSpec = .alsa(device: "default")
    public var opus = OpusSettings()
    /// The codecs offered and accepted, in order of preference.
    public var codecs: [AudioCodec] = [.opus, .pcmu, .pcma, .g722]
    /// No packet from the far end for this long ends the call; 0 disables.
    public var mediaTimeoutSeconds: Double = 30
    /// The call's UDP port; 0 picks one.
    public var localPort: UInt16 = 0
    public var payloadType: UInt8 = 111
    /// The SDES suites offered and accepted, in order of preference.
    public var srtpSuites: [SRTPSuite] = [.aesCM128HMACSHA1_80]
    /// The transport of our own offers when the front end names none.
    public var transport: CallTransportKind = .sdes
    /// ICE settings of WebRTC calls.
    public var webrtc = ICEConfiguration()
    /// Bind the media sockets to loopback only (tests).
    public var bindLoopbackOnly = false

    public init() {}
}

/// How a call's media travels and is keyed.
public enum CallTransportKind: String, Sendable, Hashable, CaseIterable {
    /// SRTP over UDP with keys in the SDP (`a=crypto`) or configured.
    case sdes
    /// ICE + DTLS-SRTP (SPEC §2b).
    case webrtc
}
