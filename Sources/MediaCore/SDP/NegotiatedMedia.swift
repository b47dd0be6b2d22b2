/// The outcome of an SDES offer/answer exchange, from softphoned's side: everything the media
/// engine needs to run the audio stream.
///
/// The codec agreement lives in `audio` (shared with `WebRTCNegotiation`); its fields read
/// and write through this value too (`negotiated.payloadType`), so callers need not care.
@dynamicMemberLookup
public struct NegotiatedMedia: Sendable, Equatable {
    /// Where RTP goes (the audio m-line's port at its `c=` address).
    public var remote: MediaEndpoint
    /// Where RTCP goes: `remote` with rtcp-mux, else `a=rtcp` or the RTP port + 1.
    public var remoteRTCP: MediaEndpoint
    /// Whether RTP and RTCP share the port (RFC 5761).
    public var rtcpMux: Bool
    public var suite: SRTPSuite
    /// The far end's sending key: softphoned decrypts with it.
    public var remoteKey: SRTPMasterKey
    /// Softphoned's sending key: it encrypts with it, and the far end learnt it from our SDP.
    public var localKey: SRTPMasterKey
    /// Codec, payload types, direction, the far end's Opus wishes and its `o=` line.
    public var audio: NegotiatedAudio

    public init(remote: MediaEndpoint, remoteRTCP: MediaEndpoint, rtcpMux: Bool, suite: SRTPSuite,
                remoteKey: SRTPMasterKey, localKey: SRTPMasterKey, audio: NegotiatedAudio) {
        self.remote = remote
        self.remoteRTCP = remoteRTCP
        self.rtcpMux = rtcpMux
        self.suite = suite
        self.remoteKey = remoteKey
        self.localKey = localKey
        self.audio = audio
    }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<NegotiatedAudio, Value>) -> Value {
        get { audio[keyPath: keyPath] }
        set { audio[keyPath: keyPath] = newValue }
    }
}
