/// The outcome of an offer/answer exchange, from softphoned's side: everything the media
/// engine needs to run the audio stream.
public struct NegotiatedMedia: Sendable, Equatable {
    /// Where RTP goes (the audio m-line's port at its `c=` address).
    public var remote: MediaEndpoint
    /// Where RTCP goes: `remote` with rtcp-mux, else `a=rtcp` or the RTP port + 1.
    public var remoteRTCP: MediaEndpoint
    /// Whether RTP and RTCP share the port (RFC 5761).
    public var rtcpMux: Bool
    /// The Opus payload type on the wire in both directions.
    public var payloadType: UInt8
    public var suite: SRTPSuite
    /// The far end's sending key: softphoned decrypts with it.
    public var remoteKey: SRTPMasterKey
    /// Softphoned's sending key: it encrypts with it, and the far end learnt it from our SDP.
    public var localKey: SRTPMasterKey
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

    public init(remote: MediaEndpoint, remoteRTCP: MediaEndpoint, rtcpMux: Bool, payloadType: UInt8, suite: SRTPSuite,
                remoteKey: SRTPMasterKey, localKey: SRTPMasterKey, direction: MediaDirection,
                remoteWantsFEC: Bool, remotePrefersDTX: Bool, remotePtime: Int?, remoteMaxAverageBitrate: Int?, ptime: Int) {
        self.remote = remote
        self.remoteRTCP = remoteRTCP
        self.rtcpMux = rtcpMux
        self.payloadType = payloadType
        self.suite = suite
        self.remoteKey = remoteKey
        self.localKey = localKey
        self.direction = direction
        self.remoteWantsFEC = remoteWantsFEC
        self.remotePrefersDTX = remotePrefersDTX
        self.remotePtime = remotePtime
        self.remoteMaxAverageBitrate = remoteMaxAverageBitrate
        self.ptime = ptime
    }
}
