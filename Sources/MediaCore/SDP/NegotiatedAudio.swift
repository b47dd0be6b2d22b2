/// What an offer/answer exchange agreed about the Opus stream itself, whatever carries it
/// (SDES-keyed SRTP or WebRTC's ICE and DTLS-SRTP): the encoder, the packetiser and the
/// direction need exactly this.
public struct NegotiatedAudio: Sendable, Equatable {
    /// The Opus payload type on the wire in both directions.
    public var payloadType: UInt8
    /// From softphoned's side: whether it sends and whether it receives.
    public var direction: MediaDirection
    /// The far end's decoder uses in-band FEC (`useinbandfec=1`): worth sending it.
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
                remotePtime: Int?, remoteMaxAverageBitrate: Int?, ptime: Int, remoteOrigin: SessionDescription.Origin? = nil) {
        self.payloadType = payloadType
        self.direction = direction
        self.remoteWantsFEC = remoteWantsFEC
        self.remotePrefersDTX = remotePrefersDTX
        self.remotePtime = remotePtime
        self.remoteMaxAverageBitrate = remoteMaxAverageBitrate
        self.ptime = ptime
        self.remoteOrigin = remoteOrigin
    }
}
