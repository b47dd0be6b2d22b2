import Foundation

/// An RFC 4568 `a=crypto:<tag> <suite> <key-params> [<session-params>…]` attribute.
public struct CryptoAttribute: Sendable, Equatable {
    public var tag: Int
    /// The suite as written (it may be one softphoned does not know).
    public var suiteName: String
    /// The first key parameter, e.g. `inline:<base64>|2^31|1:4`.
    public var keyParameter: String
    /// Session parameters such as `KDR=1` or `UNENCRYPTED_SRTCP`.
    public var sessionParameters: [String]

    public init(tag: Int, suiteName: String, keyParameter: String, sessionParameters: [String] = []) {
        self.tag = tag
        self.suiteName = suiteName
        self.keyParameter = keyParameter
        self.sessionParameters = sessionParameters
    }

    /// An attribute carrying `key`.
    public init(tag: Int, key: SRTPMasterKey) {
        self.init(tag: tag, suiteName: key.suite.rawValue, keyParameter: key.inlineKey)
    }

    /// Parses the attribute's value (what follows `a=crypto:`); nil when it lacks a tag,
    /// a suite or a key parameter.
    public init?(_ value: String) {
        let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count >= 3, let tag = Int(fields[0]), tag >= 0 else { return nil }
        self.tag = tag
        suiteName = fields[1]
        // Several keys may be listed separated by ';' (RFC 4568 §9.2); one is enough.
        keyParameter = String(fields[2].split(separator: ";").first ?? "")
        sessionParameters = Array(fields[3...])
    }

    /// The suite, when softphoned supports it.
    public var suite: SRTPSuite? { SRTPSuite(name: suiteName) }

    /// The attribute's value, as written after `a=crypto:`.
    public var value: String {
        ([String(tag), suiteName, keyParameter] + sessionParameters).joined(separator: " ")
    }

    /// Why softphoned cannot use this line even with a known suite, if it cannot.
    ///
    /// An MKI makes every packet carry a key index that libsrtp must be told about, and the
    /// UNENCRYPTED/UNAUTHENTICATED parameters turn protection off; softphoned uses neither.
    var unsupportedFeature: String? {
        let parts = keyParameter.split(separator: "|").dropFirst()
        if parts.contains(where: { $0.contains(":") }) { return "with MKI" }
        for parameter in sessionParameters {
            let name = parameter.uppercased()
            if name == "UNENCRYPTED_SRTP" || name == "UNENCRYPTED_SRTCP" || name == "UNAUTHENTICATED_SRTP" {
                return "with \(name)"
            }
        }
        return nil
    }

    /// The master key, validated against the suite.
    /// - Throws: `SDPError` naming this line's tag and what is wrong with the key.
    func masterKey(suite: SRTPSuite) throws(SDPError) -> SRTPMasterKey {
        do {
            return try SRTPMasterKey(suite: suite, inline: keyParameter)
        } catch {
            switch error.code {
            case .notInline:
                throw SDPError(.badKey(tag: tag, reason: "is not of the form inline:<base64 key and salt>"))
            case .badBase64:
                throw SDPError(.badKey(tag: tag, reason: "is not valid base64"))
            case .wrongLength(let expected, let got, let suite):
                throw SDPError(.badKey(tag: tag, reason: "is \(got) bytes; \(suite.rawValue) needs \(expected) (key and salt)"))
            }
        }
    }
}
