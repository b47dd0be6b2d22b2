import MediaCore
import Testing

/// RFC 6716 §3.1–3.2: the audio a packet carries, from its TOC byte and (code 3) frame count.
@Suite struct OpusPacketDurationTests {
    func samples(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes { OpusPacketDuration.samples(in: $0) } }

    /// A TOC byte for configuration `configuration` and frame-count code `code`.
    func toc(_ configuration: UInt8, code: UInt8 = 0) -> UInt8 { configuration << 3 | code }

    @Test("one frame of every mode and size", arguments: [
        (UInt8(0), 480), (1, 960), (2, 1920), (3, 2880),        // SILK NB
        (9, 960), (11, 2880),                                    // SILK WB
        (12, 480), (13, 960), (14, 480), (15, 960),              // hybrid
        (16, 120), (17, 240), (18, 480), (19, 960), (31, 960),   // CELT
    ])
    func oneFrame(configuration: UInt8, expected: Int) {
        #expect(samples([toc(configuration), 0xFF]) == expected)
    }

    @Test func twoFramesForCodesOneAndTwo() {
        #expect(samples([toc(1, code: 1), 0]) == 1920)
        #expect(samples([toc(3, code: 2), 0, 0]) == 5760)
    }

    @Test func codeThreeCountsItsFrames() {
        #expect(samples([toc(16, code: 3), 48]) == 5760)        // 48 × 2.5 ms
        #expect(samples([toc(16, code: 3), 0xC0 | 3]) == 360)   // VBR and padding bits are not the count
        #expect(samples([toc(19, code: 3), 6]) == 5760)          // 6 × 20 ms
    }

    @Test func malformedPacketsHaveNoDuration() {
        #expect(samples([]) == nil)
        #expect(samples([toc(19, code: 3)]) == nil)              // no frame-count byte
        #expect(samples([toc(19, code: 3), 0]) == nil)           // zero frames
        #expect(samples([toc(19, code: 3), 7]) == nil)           // 140 ms
        #expect(samples([toc(3, code: 3), 3]) == nil)            // 3 × 60 ms
    }
}
