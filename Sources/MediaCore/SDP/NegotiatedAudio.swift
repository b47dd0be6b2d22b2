/// What an offer/answer exchange agreed about the audio stream itself, whatever carries it
/// (SDES-keyed SRTP or WebRTC's ICE and DTLS-SRTP): the encoder, the packetiser and the
/// direction need exactly this.
public struct NegotiatedAudio: Sendable, Equatable {
    /// The codec both sides send and receive.
    public var codec: AudioCodec
    /// `codec`'s payload type on the wire in both directions (the offerer's number).
    public var payloadType: UInt8
    /// The RFC 4733 `telephone-event` payload type at `codec`'s RTP clock, when both sides
    /// agreed on one: DTMF goes there, else it cannot be sent in band.
    public var telephoneEventPayloadType: UInt8?
    /// From softphoned's side: whether it sends and whether it receives.
    public var direction: MediaDirection
    /// The far end's decoder uses in-band FEC (`useinbandfec=1`): worth sending it. This
    /// and the other Opus parameters below are false or nil for the other codecs.
    public var remoteWantsFEC: Bool
    /// The far end asks for DTX (`usedtx=1`).
    public var remotePrefersDTX: Bool
    /// The far end's `a=ptime`, if it gave one.
    public var remotePtime: Int?
    /// The far end's `maxaveragebitrate`, if it gave one (bits per second).
    public var remoteMaxAverageBitrate: Int?
    /// The packet duration softphoned sends, in milliseconds.
    public var ptime: Int
    /// The far end's `o=` line: its session id names the call for renegotiation, its version orders offers.
    public var remoteOrigin: SessionDescription.Origin?

    public init(payloadType: UInt8, direction: MediaDirection, remoteWantsFEC: Bool, remotePrefersDTX: Bool,
                remotePtime: Int?, remoteMaxAverageBitrate: Int?, ptime: Int, remoteOrigin: SessionDescription.Origin? = nil,
                codec: AudioCodec = .opus, telephoneEventPayloadType: UInt8? = nil) {
        self.codec = codec
        self.payloadType = payloadType
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.direction = direction
        self.remoteWantsFEC = remoteWantsFEC
        self.remotePrefersDTX = remotePrefersDTX
        self.remotePtime = remotePtime
        self.remoteMaxAverageBitrate = remoteMaxAverageBitrate
        self.ptime = ptime
        self.remoteOrigin = remoteOrigin
    }

    /// The formats an answer lists: the codec, then its telephone-event.
    var formats: [PayloadFormat] {
        [PayloadFormat(payloadType: payloadType, encoding: .codec(codec))]
            + (telephoneEventPayloadType.map { [PayloadFormat(payloadType: $0, encoding: .telephoneEvent(clockRate: codec.rtpClockRate))] } ?? [])
    }
}
