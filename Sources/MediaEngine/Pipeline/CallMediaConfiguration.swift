import MediaCore

/// Everything the media engine needs to run one call's audio.
public struct CallMediaConfiguration: Sendable {
    /// Where RTP goes, and RTCP with rtcp-mux.
    public var remote: SocketAddress
    /// Where RTCP goes when it is not multiplexed (RFC 3605 `a=rtcp`, or the RTP port + 1).
    public var remoteRTCP: SocketAddress?
    /// Local UDP port; 0 picks one.
    public var localPort: UInt16
    /// Bind to the loopback address only (tests and the demo's far end).
    public var bindLoopbackOnly: Bool
    /// The negotiated codec and its payload type.
    public var codec: AudioCodec = .opus
    public var payloadType: UInt8
    /// RFC 4733 `telephone-event` at the codec's clock, when the far end agreed to it.
    public var telephoneEventPayloadType: UInt8?
    /// Where the SRTP keys come from: the SDP (or a static call) or the DTLS handshake.
    public var keying: MediaKeying
    public var source: AudioSourceSpec
    public var playback: AudioSinkSpec
    public var opus: OpusSettings
    /// Whether this side sends media (false on hold with `recvonly`/`inactive`).
    public var sending: Bool
    /// The RTCP CNAME (RFC 7022: a per-call random identifier is fine).
    public var cname: String
    /// No packet from the far end for this long ends the call (`timeout`); 0 disables.
    public var mediaTimeoutSeconds: Double
    /// Jitter buffer target bounds in milliseconds.
    public var jitterMinimumMilliseconds: Int
    public var jitterMaximumMilliseconds: Int
    /// The SSRC to send with, when the SDP already named it (WebRTC's `a=ssrc`); nil picks one.
    public var ssrc: UInt32?
    /// A call keyed by its SDP (or statically): the key this side sends with and the one the
    /// far end sends with (nil: `sendKey` for both).
    public init(
        remote: SocketAddress, remoteRTCP: SocketAddress? = nil, localPort: UInt16 = 0, bindLoopbackOnly: Bool = false, payloadType: UInt8 = 111,
        sendKey: SRTPMasterKey, receiveKey: SRTPMasterKey? = nil,
        source: AudioSourceSpec = .alsa(device: "default"), playback: AudioSinkSpec = .alsa(device: "default"),
        opus: OpusSettings = OpusSettings(), sending: Bool = true, cname: String = "softphoned",
        mediaTimeoutSeconds: Double = 30, jitterMinimumMilliseconds: Int = 20, jitterMaximumMilliseconds: Int = 200
    ) {
        self.init(remote: remote, remoteRTCP: remoteRTCP, localPort: localPort, bindLoopbackOnly: bindLoopbackOnly,
                  payloadType: payloadType, keying: .sdes(send: sendKey, receive: receiveKey), source: source, playback: playback,
                  opus: opus, sending: sending, cname: cname, mediaTimeoutSeconds: mediaTimeoutSeconds,
                  jitterMinimumMilliseconds: jitterMinimumMilliseconds, jitterMaximumMilliseconds: jitterMaximumMilliseconds)
    }

    /// A call with the given keying (`.dtls` for WebRTC: no SRTP session exists before the
    /// handshake, so nothing is sent or accepted until then).
    public init(
        remote: SocketAddress, remoteRTCP: SocketAddress? = nil, localPort: UInt16 = 0, bindLoopbackOnly: Bool = false, payloadType: UInt8 = 111,
        keying: MediaKeying,
        source: AudioSourceSpec = .alsa(device: "default"), playback: AudioSinkSpec = .alsa(device: "default"),
        opus: OpusSettings = OpusSettings(), sending: Bool = true, cname: String = "softphoned",
        mediaTimeoutSeconds: Double = 30, jitterMinimumMilliseconds: Int = 20, jitterMaximumMilliseconds: Int = 200
    ) {
        self.remote = remote
        self.remoteRTCP = remoteRTCP
        self.localPort = localPort
        self.bindLoopbackOnly = bindLoopbackOnly
        self.payloadType = payloadType
        self.keying = keying
        self.source = source
        self.playback = playback
        self.opus = opus
        self.sending = sending
        self.cname = cname
        self.mediaTimeoutSeconds = mediaTimeoutSeconds
        self.jitterMinimumMilliseconds = jitterMinimumMilliseconds
        self.jitterMaximumMilliseconds = jitterMaximumMilliseconds
    }
}

/// Where a call's SRTP keys come from.
public enum MediaKeying: Sendable, Equatable {
    /// Keys exchanged in the SDP (`a=crypto`, RFC 4568) or configured for a static call: the
    /// key this side sends with and the one the far end sends with (nil: `send` for both).
    case sdes(send: SRTPMasterKey, receive: SRTPMasterKey?)
    /// WebRTC: the keys come from the DTLS handshake (RFC 5764); until then there is no SRTP
    /// session, and nothing is sent or accepted.
    case dtls

    /// The SRTP suite of SDP keys; nil for DTLS (known once the handshake ends).
    public var suite: SRTPSuite? {
        if case .sdes(let send, _) = self { return send.suite }
        return nil
    }

}

/// Rare things the media threads report to the daemon (never per frame).
public enum MediaEvent: Sendable, Equatable {
    /// The capture or playback device failed; silence is sent until it recovers.
    case deviceError(String)
    case deviceRecovered(String)
    /// Voice activity on the muted microphone for at least 500 ms (at most once per 10 s).
    case speakingWhileMuted
    /// The far end sent an RTCP BYE.
    case remoteBye
    /// No packet from the far end for the media timeout.
    case mediaTimeout
    /// A DTMF event from the far end ended (RFC 4733): its code and final duration.
    case dtmf(event: UInt8, durationMilliseconds: Int)
}
