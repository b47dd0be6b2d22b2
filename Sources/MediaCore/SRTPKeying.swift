import Foundation

/// An SRTP protection profile (crypto suite) as named in RFC 4568 and SPEC §2.
public enum SRTPSuite: String, Sendable, CaseIterable, Codable {
    case aesCM128HMACSHA1_80 = "AES_CM_128_HMAC_SHA1_80"
    case aesCM128HMACSHA1_32 = "AES_CM_128_HMAC_SHA1_32"
    case aeadAES128GCM = "AEAD_AES_128_GCM"
    case aeadAES256GCM = "AEAD_AES_256_GCM"

    /// Master key length in bytes.
    public var keyLength: Int {
        switch self {
        case .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32, .aeadAES128GCM: 16
        case .aeadAES256GCM: 32
        }
    }

    /// Master salt length in bytes (14 for counter mode, 12 for GCM, RFC 7714).
    public var saltLength: Int {
        switch self {
        case .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32: 14
        case .aeadAES128GCM, .aeadAES256GCM: 12
        }
    }

    /// Bytes of key and salt together, as carried in an `inline:` key.
    public var masterLength: Int { keyLength + saltLength }

    /// Accepts the canonical name in any letter case.
    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }
}

/// A master key and salt for one direction of an SRTP session.
///
/// The bytes are secret: `description` never shows them.
public struct SRTPMasterKey: Sendable, Equatable, CustomStringConvertible {
    public let suite: SRTPSuite
    /// Key followed by salt, exactly `suite.masterLength` bytes.
    public let material: [UInt8]

    /// - Throws: `SRTPKeyError` when the material is not `suite.masterLength` bytes.
    public init(suite: SRTPSuite, material: [UInt8]) throws(SRTPKeyError) {
        guard material.count == suite.masterLength else {
            throw SRTPKeyError(.wrongLength(expected: suite.masterLength, got: material.count, suite: suite))
        }
        self.suite = suite
        self.material = material
    }

    /// Parses RFC 4568 key parameters: `inline:<base64 key‖salt>[|lifetime][|MKI:length]`.
    ///
    /// Lifetime and MKI are accepted and ignored (softphoned uses neither).
    public init(suite: SRTPSuite, inline text: String) throws(SRTPKeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("inline:") else { throw SRTPKeyError(.notInline) }
        let body = trimmed.dropFirst("inline:".count)
        let base64 = body.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard let data = Data(base64Encoded: base64) else { throw SRTPKeyError(.badBase64) }
        try self.init(suite: suite, material: [UInt8](data))
    }

    /// A fresh random key from the system's cryptographically secure generator.
    public static func random(suite: SRTPSuite) -> SRTPMasterKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<suite.masterLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // The length is right by construction.
        return try! SRTPMasterKey(suite: suite, material: bytes)
    }

    /// The RFC 4568 form, `inline:<base64>`.
    public var inlineKey: String { "inline:" + Data(material).base64EncodedString() }

    /// Key and salt as lower-case hex (what GStreamer's `srtp-key` caps field takes).
    public var hex: String { material.map { String(format: "%02x", $0) }.joined() }

    public var description: String { "SRTPMasterKey(\(suite.rawValue), <redacted>)" }
}

/// Why an SRTP key was refused.
public struct SRTPKeyError: Error, CustomStringConvertible, Equatable {
    enum Code: Equatable {
        case notInline
        case badBase64
        case wrongLength(expected: Int, got: Int, suite: SRTPSuite)
    }
    let code: Code
    init(_ code: Code) { self.code = code }

    public var description: String {
        switch code {
        case .notInline: "the key must have the RFC 4568 form inline:<base64 key and salt>"
        case .badBase64: "the key is not valid base64"
        case .wrongLength(let expected, let got, let suite):
            "the key and salt are \(got) bytes, \(suite.rawValue) needs \(expected)"
        }
    }
}
