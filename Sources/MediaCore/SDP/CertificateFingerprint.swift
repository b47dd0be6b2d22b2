/// An `a=fingerprint:<hash-function> <hex>` attribute (RFC 8122 §5): the digest of a DTLS
/// endpoint's certificate, which the certificate it presents in the handshake must match
/// before any SRTP key derived from that handshake is used.
public struct CertificateFingerprint: Sendable, Equatable {
    /// The hash function's RFC 8122 name, lower-cased: `sha-256`, `sha-1`, …
    public var hashFunction: String
    /// The digest as written: colon-separated hex pairs, `AB:CD:…` (any letter case).
    public var value: String

    public init(hashFunction: String, value: String) {
        self.hashFunction = hashFunction
        self.value = value
    }

    /// The fingerprint of a computed digest, written as RFC 8122 §5 shows it: upper-case
    /// hex pairs separated by colons.
    public init(hashFunction: String, digest: some Sequence<UInt8>) {
        let hex = Array("0123456789ABCDEF")
        self.init(hashFunction: hashFunction.lowercased(),
                  value: digest.map { String([hex[Int($0 >> 4)], hex[Int($0 & 0xF)]]) }.joined(separator: ":"))
    }

    /// Digest lengths, in bytes, of the hash functions softphoned checks certificates with:
    /// RFC 8122's names for the ones OpenSSL computes, MD2 and MD5 left out (RFC 8122 §5
    /// calls them unsafe).
    public static let digestLengths: [String: Int] = [
        "sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64,
    ]

    /// The hash functions of `digestLengths`, in a fixed order for messages.
    static let supportedHashFunctions = ["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"]

    /// The digest's bytes; nil unless `value` is colon-separated pairs of ASCII hex digits.
    public var digest: [UInt8]? {
        var bytes: [UInt8] = []
        for pair in value.split(separator: ":", omittingEmptySubsequences: false) {
            // `UInt8(_:radix:)` alone would take "+f"; only two hex digits are a byte here.
            guard pair.count == 2, pair.allSatisfy({ $0.isASCII && $0.isHexDigit }),
                  let byte = UInt8(pair, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// Whether a certificate with this digest (computed with `hashFunction`) is the one
    /// this fingerprint names; letter case and the written form do not matter.
    public func matches(digest computed: some Sequence<UInt8>) -> Bool {
        guard let digest else { return false }
        return digest.elementsEqual(computed)
    }

    /// Whether both name the same certificate with the same hash function.
    func namesSameCertificate(as other: CertificateFingerprint) -> Bool {
        hashFunction == other.hashFunction && digest != nil && digest == other.digest
    }

    /// The attribute's value, as written after `a=fingerprint:`.
    public var attributeValue: String { "\(hashFunction) \(value)" }

    /// Reads every `a=fingerprint` value of one media line (or its session).
    ///
    /// Lines with a hash function softphoned does not check with are skipped, so a peer may
    /// add any; a line with a supported hash and a malformed digest is refused.
    /// - Throws: `SDPError` when there is no line, a malformed line, or no supported hash.
    static func parse(_ values: [String]) throws(SDPError) -> [CertificateFingerprint] {
        guard !values.isEmpty else { throw SDPError(.noFingerprint) }
        var usable: [CertificateFingerprint] = []
        var unsupported: [String] = []
        for value in values {
            let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else { throw SDPError(.malformedFingerprint(value: value)) }
            let hashFunction = fields[0].lowercased()
            guard let length = digestLengths[hashFunction] else {
                unsupported.append(hashFunction)
                continue
            }
            let fingerprint = CertificateFingerprint(hashFunction: hashFunction, value: String(fields[1]))
            guard fingerprint.digest?.count == length else {
                throw SDPError(.malformedFingerprint(value: value, hashFunction: hashFunction, length: length))
            }
            usable.append(fingerprint)
        }
        guard !usable.isEmpty else { throw SDPError(.unsupportedFingerprint(hashFunctions: unsupported)) }
        return usable
    }
}
