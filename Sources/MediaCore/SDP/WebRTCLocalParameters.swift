import Foundation

/// What softphoned's ICE agent and DTLS endpoint put into its WebRTC offer or answer, besides
/// the codec parameters of `LocalMediaParameters` (whose `address` and `port` a WebRTC
/// description does not use: the default candidate stands in for them).
public struct WebRTCLocalParameters: Sendable, Equatable {
    /// `a=ice-ufrag`: 4 to 256 ICE characters (RFC 8839 §5.4). Keep it for the call unless
    /// restarting ICE.
    public var iceUfrag: String
    /// `a=ice-pwd`: 22 to 256 ICE characters.
    public var icePassword: String
    /// `a=fingerprint` of the daemon's certificate (sha-256).
    public var fingerprint: CertificateFingerprint
    /// The gathered candidates as libnice writes them: `a=candidate:…`, `candidate:…` or the
    /// bare value are all accepted; the description always writes `a=candidate:…`.
    public var candidates: [String]
    /// The default candidate's address and port, for `c=`, `m=` and `a=rtcp`. An empty
    /// address is written `0.0.0.0` and port 0 is written 9 (RFC 8840 §4.1.1: no candidate
    /// yet), so the audio is never declined by accident.
    public var defaultAddress: String
    public var defaultPort: UInt16
    /// `a=ssrc:<ssrc> cname:<cname>`: MUST be the SSRC the send path really uses (Janus
    /// drops, and Chrome silences, RTP whose SSRC the SDP did not announce).
    public var ssrc: UInt32
    public var cname: String
    /// `a=msid:<stream> <track>` and `a=msid-semantic: WMS <stream>`: without them Chrome's
    /// `ontrack` sees no stream.
    public var streamID: String
    public var trackID: String

    public init(iceUfrag: String, icePassword: String, fingerprint: CertificateFingerprint, candidates: [String],
                defaultAddress: String, defaultPort: UInt16, ssrc: UInt32, cname: String,
                streamID: String = "softphoned", trackID: String = "audio") {
        self.iceUfrag = iceUfrag
        self.icePassword = icePassword
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.defaultAddress = defaultAddress
        self.defaultPort = defaultPort
        self.ssrc = ssrc
        self.cname = cname
        self.streamID = streamID
        self.trackID = trackID
    }

    /// Where `c=`, `m=` and `a=rtcp` point.
    var defaultEndpoint: MediaEndpoint {
        MediaEndpoint(host: defaultAddress.isEmpty ? "0.0.0.0" : defaultAddress, port: defaultPort == 0 ? 9 : defaultPort)
    }

    /// ICE, DTLS, stream identity and candidates: the WebRTC attributes of the audio m-line.
    func attributes(setup: DTLSSetup) -> [SessionDescription.Attribute] {
        var attributes: [SessionDescription.Attribute] = [
            .init("ice-ufrag", iceUfrag),
            .init("ice-pwd", icePassword),
            .init("fingerprint", fingerprint.attributeValue),
            .init("setup", setup.rawValue),
            .init("msid", "\(streamID) \(trackID)"),
            .init("ssrc", "\(ssrc) cname:\(cname)"),
        ]
        for candidate in candidates {
            var value = Substring(candidate.trimmingCharacters(in: .whitespacesAndNewlines))
            if value.hasPrefix("a=") { value = value.dropFirst(2) }
            if value.hasPrefix("candidate:") { value = value.dropFirst("candidate:".count) }
            attributes.append(.init("candidate", String(value)))
        }
        attributes.append(.init("end-of-candidates"))
        return attributes
    }
}
