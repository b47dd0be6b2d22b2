import MediaCore
import MediaEngine

/// The far end's SDP, through everything softphoned does with it: the parser, the writer,
/// answering an offer (`call.accept`) and completing our own offer (`call.answer`), with
/// SDES and with WebRTC (first and renegotiated exchanges).
///
/// Besides not trapping, what is agreed must be usable: every negotiated address is one
/// the socket layer accepts (the promise `CallController` relies on), our answer is SDP
/// our own parser reads back, and a WebRTC agreement is one the ICE agent and DTLS endpoint
/// can take (credentials, fingerprints and candidates of the forms RFC 8839 and 8122 allow).
public enum SDPFuzzTarget {
    /// Fixed keys, so an input replays the same way every time.
    static let keys = SRTPSuite.allCases.map { suite in
        // The lengths are right by construction.
        try! SRTPMasterKey(suite: suite, material: (0..<suite.masterLength).map { UInt8($0) })
    }
    public static let local = LocalMediaParameters(
        address: "192.0.2.10", port: 40_000, suites: SRTPSuite.allCases, sessionID: 1, sendingKeys: keys)
    public static let pending = SDPNegotiator.makeOffer(local: local).pending
    static let webrtc = WebRTCLocalParameters(
        iceUfrag: "fuzz", icePassword: "0123456789abcdefghijkl",
        fingerprint: CertificateFingerprint(hashFunction: "sha-256", digest: [UInt8](repeating: 0xAB, count: 32)),
        candidates: ["a=candidate:1 1 UDP 2013266431 192.0.2.10 40000 typ host"],
        defaultAddress: "192.0.2.10", defaultPort: 40_000, ssrc: 1, cname: "fuzz")

    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let session = try? SDPParser.parse(text) {
            let written = SDPWriter.write(session)
            FuzzDriver.require((try? SDPParser.parse(written)) != nil, "SDPWriter wrote SDP its parser refuses:\n\(written)")
        }
        if let (answer, negotiated) = try? SDPNegotiator.answer(to: text, local: local) {
            checkUsable(negotiated)
            FuzzDriver.require((try? SDPParser.parse(answer)) != nil, "the answer does not parse:\n\(answer)")
        }
        if let negotiated = try? SDPNegotiator.complete(pending, withAnswer: text) {
            checkUsable(negotiated)
        }
        _ = WebRTCNegotiator.isWebRTC(text)
        if let negotiation = try? WebRTCNegotiator.inspectOffer(text, local: local) {
            checkUsable(negotiation)
            let answer = WebRTCNegotiator.answer(negotiation, offer: text, local: local, webrtc: webrtc)
            guard let parsed = try? SDPParser.parse(answer) else {
                FuzzDriver.require(false, "the WebRTC answer does not parse:\n\(answer)")
                return
            }
            FuzzDriver.require(parsed.media.count == (try? SDPParser.parse(text))?.media.count,
                               "the WebRTC answer has not as many m-lines as the offer:\n\(answer)")
            // The same offer again within the call: no restart, the same roles.
            if let again = try? WebRTCNegotiator.inspectOffer(text, local: local, established: negotiation) {
                FuzzDriver.require(!again.iceRestart && again.role == negotiation.role,
                                   "an unchanged re-offer restarts ICE or swaps the DTLS roles")
            }
        }
        if let negotiation = try? WebRTCNegotiator.complete(offer: local, withAnswer: text) {
            checkUsable(negotiation)
        }
    }

    static func checkUsable(_ negotiation: WebRTCNegotiation) {
        let remote = negotiation.remote
        let iceCharacters = { (value: String) in value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/") } }
        FuzzDriver.require((4...256).contains(remote.iceUfrag.count) && iceCharacters(remote.iceUfrag),
                           "ice-ufrag \(remote.iceUfrag) is not of the RFC 8839 form")
        FuzzDriver.require((22...256).contains(remote.icePassword.count) && iceCharacters(remote.icePassword),
                           "ice-pwd \(remote.icePassword) is not of the RFC 8839 form")
        FuzzDriver.require(!remote.fingerprints.isEmpty, "a WebRTC agreement without a fingerprint")
        for fingerprint in remote.fingerprints {
            FuzzDriver.require(fingerprint.digest?.count == CertificateFingerprint.digestLengths[fingerprint.hashFunction],
                               "fingerprint \(fingerprint.attributeValue) has no digest of its hash's length")
        }
        FuzzDriver.require(remote.setup == .active || remote.setup == .passive || remote.setup == .actpass,
                           "a WebRTC agreement with a=setup:\(remote.setup)")
        for candidate in remote.candidates {
            // RFC 8839 §5.1: `<foundation> <component> <transport> <priority> <address> <port> typ <type>`;
            // libnice reads it as a C string, and cannot resolve an mDNS (`.local`) address.
            // On bytes, as libnice reads it (":" and a combining mark are one Character).
            let prefix = "a=candidate:".utf8
            let fields = candidate.utf8.dropFirst(prefix.count).split(separator: UInt8(ascii: " ")).map { String(Substring($0)) }
            FuzzDriver.require(candidate.utf8.starts(with: prefix) && !candidate.contains(where: \.isNewline)
                               && !candidate.utf8.contains(0) && fields.count >= 8
                               && !fields[4].lowercased().hasSuffix(".local"),
                               "candidate \(candidate) is not one libnice can take")
        }
    }

    static func checkUsable(_ negotiated: NegotiatedMedia) {
        for endpoint in [negotiated.remote, negotiated.remoteRTCP] {
            FuzzDriver.require((try? SocketAddress(host: endpoint.host, port: endpoint.port)) != nil,
                               "negotiated address \(endpoint) is refused by the socket layer")
        }
    }
}
