import MediaCore
import Testing

@Suite struct CertificateFingerprintTests {
    @Test func writesADigestAsRFC8122ShowsIt() {
        let fingerprint = CertificateFingerprint(hashFunction: "SHA-256", digest: [0x00, 0x0A, 0xAB, 0xFF])
        #expect(fingerprint.hashFunction == "sha-256")
        #expect(fingerprint.value == "00:0A:AB:FF")
        #expect(fingerprint.attributeValue == "sha-256 00:0A:AB:FF")
        #expect(fingerprint.digest == [0x00, 0x0A, 0xAB, 0xFF])
    }

    @Test func matchesTheDigestWhateverTheLetterCase() {
        let fingerprint = CertificateFingerprint(hashFunction: "sha-1", value: "ab:CD:0e")
        #expect(fingerprint.matches(digest: [0xAB, 0xCD, 0x0E]))
        #expect(!fingerprint.matches(digest: [0xAB, 0xCD, 0x0F]))
        #expect(!fingerprint.matches(digest: [0xAB, 0xCD]))
        #expect(!fingerprint.matches(digest: [0xAB, 0xCD, 0x0E, 0x00]))
    }

    /// What `UInt8(_:radix:)` alone would read as bytes, and is not a fingerprint.
    @Test(arguments: ["+A:BC", "-0:BC", "AB::CD", "AB:CD:", "ABC:D", "Ａ1:BC", ""])
    func malformedValuesHaveNoDigest(value: String) {
        #expect(CertificateFingerprint(hashFunction: "sha-256", value: value).digest == nil)
        #expect(!CertificateFingerprint(hashFunction: "sha-256", value: value).matches(digest: [0xA1, 0xBC]))
    }
}
