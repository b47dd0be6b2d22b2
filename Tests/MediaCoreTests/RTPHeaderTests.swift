import MediaCore
import Testing

@Suite("RTP header")
struct RTPHeaderTests {
    @Test("writes the RFC 3550 fixed header byte for byte")
    func layout() {
        let header = RTPHeader(marker: true, payloadType: 111, sequenceNumber: 0x1234, timestamp: 0xDEAD_BEEF, ssrc: 0xCAFE_BABE)
        var bytes = [UInt8](repeating: 0xFF, count: 12)
        bytes.withUnsafeMutableBytes { header.write(to: $0) }
        #expect(bytes == [0x80, 0x80 | 111, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0xCA, 0xFE, 0xBA, 0xBE])
    }

    @Test("no marker leaves the payload type byte alone")
    func noMarker() {
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes.withUnsafeMutableBytes { RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3).write(to: $0) }
        #expect(bytes[1] == 96)
    }

    @Test("parses what it writes, and finds the payload")
    func roundTrip() throws {
        let header = RTPHeader(marker: false, payloadType: 111, sequenceNumber: 65_535, timestamp: 960, ssrc: 42)
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes.withUnsafeMutableBytes { header.write(to: $0) }
        let parsed = try #require(bytes.withUnsafeBytes { RTPHeader.parse($0) })
        #expect(parsed.header == header)
        #expect(parsed.payload == 12..<20)
    }

    @Test("skips CSRCs and a header extension, strips padding")
    func csrcExtensionPadding() throws {
        // V=2, P=1, X=1, CC=1; PT 111; then CSRC, extension (1 word), payload 3 bytes + 1 padding byte.
        let bytes: [UInt8] = [0xB1, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, /*csrc*/ 0, 0, 0, 9,
                              /*ext*/ 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, /*payload*/ 7, 8, 9, /*pad*/ 1]
        let parsed = try #require(bytes.withUnsafeBytes { RTPHeader.parse($0) })
        #expect(parsed.payload == 24..<27)
    }

    @Test("refuses what is not RTP version 2 or is truncated", arguments: [
        [UInt8](repeating: 0, count: 12),           // version 0
        [0x80, 111, 0, 1],                           // too short
        [0x81, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2],   // CSRC count beyond the end
    ])
    func refusesMalformed(bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { RTPHeader.parse($0) } == nil)
    }

    @Test("RTCP is told apart from RTP on a shared port (RFC 5761)")
    func demultiplexing() {
        let sr: [UInt8] = [0x80, 200, 0, 6]
        let rtp: [UInt8] = [0x80, 0x80 | 111, 0, 1]
        #expect(sr.withUnsafeBytes { RTPDemultiplexer.isRTCP($0) })
        #expect(!rtp.withUnsafeBytes { RTPDemultiplexer.isRTCP($0) })
    }
}
