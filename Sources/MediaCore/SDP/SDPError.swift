/// Why a session description was refused.
///
/// `description` is a complete sentence for a person reading the JSON-RPC error 1004: it
/// names the line, attribute or value at fault and, where it helps, what would work.
public struct SDPError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, kept private so new cases do not break callers.
    enum Code: Equatable, Sendable {
        case empty
        case malformedLine(line: Int)
        case nulByte(line: Int)
        case missingVersion
        case unsupportedVersion(String)
        case malformedField(line: Int, field: Character, expected: String)
        case noAudio
        case audioDeclined
        case unsupportedProtocol(String)
        case dtls(String)
        case plainRTP(String)
        case noCommonCodec(offered: [String], names: [String], speaks: [AudioCodec])
        case noConnection
        case unsupportedAddress(addressType: String, address: String)
        case noCrypto
        case noSupportedCrypto(offered: [String], supported: [SRTPSuite])
        case malformedCrypto(String)
        case badKey(tag: Int, reason: String)
        case answerNoOfferedCodec(offered: [String], names: [String], answered: [String])
        case answerCryptoMismatch(String)
        case answerCryptoCount(Int)
        case notWebRTC(String)
        case noRTCPMux
        case noFingerprint
        case malformedFingerprint(value: String, hashFunction: String? = nil, length: Int? = nil)
        case unsupportedFingerprint(hashFunctions: [String])
        case noICECredential(String)
        case badICECredential(name: String, value: String, lengths: ClosedRange<Int>)
        case badSetup(String)
        case holdconn
        case answerActpass
        case setupConflict(written: DTLSSetup, role: DTLSRole, writer: String)
        case fingerprintChanged
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    public var description: String {
        switch code {
        case .empty:
            "the SDP is empty"
        case .malformedLine(let line):
            "line \(line) is not of the form x=value"
        case .nulByte(let line):
            "line \(line) contains a NUL byte, which SDP does not allow (RFC 8866 §9)"
        case .missingVersion:
            "the SDP does not start with v=0"
        case .unsupportedVersion(let version):
            "the SDP has version v=\(version); only v=0 exists"
        case .malformedField(let line, let field, let expected):
            "line \(line): the \(field)= line must have the form \(expected)"
        case .noAudio:
            "no audio m-line"
        case .audioDeclined:
            "the audio m-line is declined (port 0)"
        case .unsupportedProtocol(let proto):
            "the audio m-line uses \(proto), which softphoned does not support; use RTP/SAVP with SDES a=crypto"
        case .dtls(let proto):
            "the audio m-line uses \(proto) (DTLS-SRTP), which needs a WebRTC description with a=fingerprint and a=ice-ufrag; otherwise use RTP/SAVP with SDES a=crypto"
        case .plainRTP(let proto):
            "the audio m-line uses \(proto) (unencrypted RTP), which softphoned does not support; use RTP/SAVP with SDES a=crypto"
        case .noCommonCodec(let offered, let names, let speaks):
            "no codec in common: the offer has payload types \(offered.joined(separator: " ")) (\(names.joined(separator: ", "))); softphoned speaks \(speaks.map(\.encodingName).joined(separator: ", ")) (media.codecs)"
        case .noConnection:
            "the audio m-line has no connection address (no c= line at session or media level)"
        case .unsupportedAddress(let addressType, let address):
            "the connection address \(addressType) \(address) is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"
        case .noCrypto:
            "the audio m-line has no a=crypto line; softphoned needs SDES keys (RFC 4568)"
        case .noSupportedCrypto(let offered, let supported):
            "no a=crypto line with a supported suite (offered: \(offered.joined(separator: ", ")); supported: \(supported.map(\.rawValue).joined(separator: ", ")))"
        case .malformedCrypto(let line):
            "a=crypto:\(line) is malformed; expected a=crypto:<tag> <suite> inline:<base64 key and salt>"
        case .badKey(let tag, let reason):
            "a=crypto:\(tag) key \(reason)"
        case .answerNoOfferedCodec(let offered, let names, let answered):
            "the answer accepts none of the offered codecs (offered payload types \(offered.joined(separator: " ")): \(names.joined(separator: ", ")); answered payload types \(answered.joined(separator: " ")))"
        case .answerCryptoMismatch(let detail):
            "the answer's a=crypto does not match the offer: \(detail)"
        case .answerCryptoCount(let count):
            "the answer must carry exactly one a=crypto line on the audio m-line, it has \(count)"
        case .notWebRTC(let proto):
            "the audio m-line uses \(proto); a WebRTC description uses UDP/TLS/RTP/SAVPF (DTLS-SRTP over ICE)"
        case .noRTCPMux:
            "WebRTC requires a=rtcp-mux on the audio m-line: softphoned sends RTP and RTCP on one ICE component"
        case .noFingerprint:
            "the audio m-line has no a=fingerprint (at media or session level); DTLS-SRTP needs the peer's certificate fingerprint (RFC 8122)"
        case .malformedFingerprint(let value, let hashFunction?, let length?):
            "a=fingerprint:\(value) is malformed; \(hashFunction) needs \(length) hex byte pairs separated by colons"
        case .malformedFingerprint(let value, _, _):
            "a=fingerprint:\(value) is malformed; expected a=fingerprint:<hash function> <hex byte pairs separated by colons>"
        case .unsupportedFingerprint(let hashFunctions):
            "no a=fingerprint uses a supported hash function (offered: \(hashFunctions.joined(separator: ", ")); supported: \(CertificateFingerprint.supportedHashFunctions.joined(separator: ", ")))"
        case .noICECredential(let name):
            "the audio m-line has no a=\(name) (at media or session level); ICE needs the peer's username fragment and password"
        case .badICECredential(let name, let value, let lengths):
            "a=\(name):\(value) is not \(lengths.lowerBound) to \(lengths.upperBound) ICE characters (letters, digits, + and /, RFC 8839 §5.4)"
        case .badSetup(let value):
            "a=setup:\(value) is not one of actpass, active, passive, holdconn"
        case .holdconn:
            "a=setup:holdconn is not supported: softphoned needs a DTLS connection; offer a=setup:actpass"
        case .answerActpass:
            "the answer has a=setup:actpass; an answer must choose a=setup:active or a=setup:passive (RFC 5763 §5)"
        case .setupConflict(let written, let role, let writer):
            "the \(writer)'s a=setup:\(written.rawValue) would change the DTLS roles of the call (softphoned is its DTLS \(role.rawValue)); a renegotiation keeps them (RFC 8842 §5.5): the peer stays DTLS \(role.peer.rawValue) (a=setup:\(role.peer.setup.rawValue))"
        case .fingerprintChanged:
            "the re-offer changes the peer's a=fingerprint, which would need a new DTLS association; softphoned keeps the call's association: hang up and call again"
        }
    }
}
