/// A WebRTC call's transport in `status.call.webrtc`.
public struct WebRTCInfo: Sendable, Hashable, Codable {
    /// ICE: `gathering`, `connecting`, `connected`, `ready`, `failed`, `closed`.
    public var iceState: String
    /// `controlling` or `controlled` (RFC 8445 §6.1.1).
    public var iceRole: String
    /// The selected pair, e.g. `host udp 127.0.0.1:50000`, `relay udp 10.0.0.2:49152`.
    public var localCandidate: String?
    public var remoteCandidate: String?
    /// `client` or `server`.
    public var dtlsRole: String
    /// `new`, `connecting`, `connected`, `failed`, `closed`.
    public var dtlsState: String
    /// The SRTP profile DTLS negotiated (RFC 5764 name), once connected.
    public var srtpProfile: String?
    /// RFC 7675 consent: `pending`, `fresh` or `lost`.
    public var consent: String
    /// Milliseconds since the last datagram from the peer (null before the first).
    public var lastReceivedMsAgo: Double?
    /// Milliseconds from ICE connecting to the DTLS handshake's end.
    public var handshakeMs: Double?
    /// Why the transport failed, if it did.
    public var failure: String?

    public init(iceState: String, iceRole: String, localCandidate: String?, remoteCandidate: String?, dtlsRole: String,
                dtlsState: String, srtpProfile: String?, consent: String, lastReceivedMsAgo: Double?, handshakeMs: Double?,
                failure: String?) {
        self.iceState = iceState
        self.iceRole = iceRole
        self.localCandidate = localCandidate
        self.remoteCandidate = remoteCandidate
        self.dtlsRole = dtlsRole
        self.dtlsState = dtlsState
        self.srtpProfile = srtpProfile
        self.consent = consent
        self.lastReceivedMsAgo = lastReceivedMsAgo
        self.handshakeMs = handshakeMs
        self.failure = failure
    }
}

/// Params of `call.offer`: `{"transport"?: "sdes" | "webrtc"}` (default `call.transport`).
public struct OfferParams: Sendable, Hashable, Codable {
    public var transport: String?
    public init(transport: String? = nil) {
        self.transport = transport
    }
}
