import MediaCore
import MediaEngine
import Testing

@Suite("SRTP through libsrtp2")
struct SRTPSessionTests {
    /// RFC 3711 Appendix B.2/B.3 master key and salt, as libsrtp's own validation uses them.
    static let rfc3711Master: [UInt8] = [
        0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0, 0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE, 0x41, 0x39,
        0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE, 0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6,
    ]
    static let plaintext: [UInt8] = [0x80, 0x0F, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA, 0xBE]
        + [UInt8](repeating: 0xAB, count: 16)
    /// The known ciphertext and HMAC-SHA1-80 tag for that key, packet and SSRC 0xCAFEBABE.
    static let ciphertext: [UInt8] = [
        0x80, 0x0F, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA, 0xBE, 0x4E, 0x55, 0xDC, 0x4C,
        0xE7, 0x99, 0x78, 0xD8, 0x8C, 0xA4, 0xD2, 0x15, 0x94, 0x9D, 0x24, 0x02, 0xB7, 0x8D, 0x6A, 0xCC,
        0x99, 0xEA, 0x17, 0x9B, 0x8D, 0xBB,
    ]

    func protect(_ packet: [UInt8], with session: SRTPSession) throws -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: SRTPSession.maxTrailer)
        let length = try buffer.withUnsafeMutableBytes { try session.protect($0, length: packet.count) }
        return Array(buffer[0..<length])
    }

    func unprotect(_ packet: [UInt8], with session: SRTPSession) throws -> [UInt8] {
        var buffer = packet
        let length = try buffer.withUnsafeMutableBytes { try session.unprotect($0, length: packet.count) }
        return Array(buffer[0..<length])
    }

    @Test("AES_CM_128_HMAC_SHA1_80 matches the RFC 3711 test key's known answer")
    func knownAnswer() throws {
        let key = try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, material: Self.rfc3711Master)
        let sender = try SRTPSession(key: key, direction: .send)
        #expect(try protect(Self.plaintext, with: sender) == Self.ciphertext)
        let receiver = try SRTPSession(key: key, direction: .receive)
        #expect(try unprotect(Self.ciphertext, with: receiver) == Self.plaintext)
    }

    @Test("AES_CM_128_HMAC_SHA1_32 keeps the same keystream with a 4-byte tag")
    func shortTag() throws {
        let key = try SRTPMasterKey(suite: .aesCM128HMACSHA1_32, material: Self.rfc3711Master)
        let protected = try protect(Self.plaintext, with: SRTPSession(key: key, direction: .send))
        #expect(protected.count == Self.plaintext.count + 4)
        #expect(Array(protected[0..<28]) == Array(Self.ciphertext[0..<28]))
    }

    @Test("every suite round-trips and refuses a wrong key", arguments: SRTPSuite.allCases)
    func roundTrip(suite: SRTPSuite) throws {
        let key = SRTPMasterKey.random(suite: suite)
        let protected = try protect(Self.plaintext, with: SRTPSession(key: key, direction: .send))
        #expect(protected != Self.plaintext)
        #expect(try unprotect(protected, with: SRTPSession(key: key, direction: .receive)) == Self.plaintext)

        let wrong = try SRTPSession(key: SRTPMasterKey.random(suite: suite), direction: .receive)
        do {
            _ = try unprotect(protected, with: wrong)
            Issue.record("a wrong key decrypted the packet")
        } catch let error as SRTPError {
            #expect(error.isAuthenticationFailure)
        }
    }

    @Test("a replayed packet is refused")
    func replay() throws {
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let protected = try protect(Self.plaintext, with: SRTPSession(key: key, direction: .send))
        let receiver = try SRTPSession(key: key, direction: .receive)
        _ = try unprotect(protected, with: receiver)
        do {
            _ = try unprotect(protected, with: receiver)
            Issue.record("a replay was accepted")
        } catch let error as SRTPError {
            #expect(error.isReplay)
        }
    }
}
