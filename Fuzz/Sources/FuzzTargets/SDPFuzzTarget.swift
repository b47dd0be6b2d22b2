import MediaCore
import MediaEngine

/// The far end's SDP, through everything softphoned does with it: the parser, the writer,
/// answering an offer (`call.accept`) and completing our own offer (`call.answer`).
///
/// Besides not trapping, what is agreed must be usable: every negotiated address is one
/// the socket layer accepts (the promise `CallController` relies on), and our answer is
/// SDP our own parser reads back.
public enum SDPFuzzTarget {
    /// Fixed keys, so an input replays the same way every time.
    static let keys = SRTPSuite.allCases.map { suite in
        // The lengths are right by construction.
        try! SRTPMasterKey(suite: suite, material: (0..<suite.masterLength).map { UInt8($0) })
    }
    public static let local = LocalMediaParameters(
        address: "192.0.2.10", port: 40_000, suites: SRTPSuite.allCases, sessionID: 1, sendingKeys: keys)
    public static let pending = SDPNegotiator.makeOffer(local: local).pending

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
    }

    static func checkUsable(_ negotiated: NegotiatedMedia) {
        for endpoint in [negotiated.remote, negotiated.remoteRTCP] {
            FuzzDriver.require((try? SocketAddress(host: endpoint.host, port: endpoint.port)) != nil,
                               "negotiated address \(endpoint) is refused by the socket layer")
        }
    }
}
