import Foundation
import MediaCore
import Testing

@Suite("SRTP keys (RFC 4568 inline)")
struct SRTPKeyingTests {
    @Test("each suite takes exactly its key and salt length", arguments: SRTPSuite.allCases)
    func lengths(suite: SRTPSuite) throws {
        let key = SRTPMasterKey.random(suite: suite)
        #expect(key.material.count == suite.masterLength)
        let parsed = try SRTPMasterKey(suite: suite, inline: key.inlineKey)
        #expect(parsed == key)
    }

    @Test("lifetime and MKI parameters are accepted")
    func lifetimeAndMKI() throws {
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        #expect(try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, inline: key.inlineKey + "|2^31|1:1") == key)
    }

    @Test("a wrong length names both lengths")
    func wrongLength() {
        let short = "inline:" + Data(repeating: 1, count: 20).base64EncodedString()
        #expect(throws: SRTPKeyError.self) { try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, inline: short) }
        do {
            _ = try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, inline: short)
        } catch {
            #expect(error.description.contains("20 bytes"))
            #expect(error.description.contains("needs 30"))
        }
    }

    @Test("bad base64 and a missing inline: prefix are refused")
    func malformed() {
        #expect(throws: SRTPKeyError.self) { try SRTPMasterKey(suite: .aeadAES128GCM, inline: "inline:%%%not-base64") }
        #expect(throws: SRTPKeyError.self) { try SRTPMasterKey(suite: .aeadAES128GCM, inline: "AAAA") }
    }

    @Test("the key never shows in descriptions")
    func redacted() {
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        #expect(!"\(key)".contains(key.inlineKey.dropFirst(7)))
        #expect("\(key)".contains("redacted"))
    }

    @Test("suite names are matched in any letter case")
    func suiteNames() {
        #expect(SRTPSuite(name: "aead_aes_256_gcm") == .aeadAES256GCM)
        #expect(SRTPSuite(name: "AES_CM_256_NOPE") == nil)
    }
}
