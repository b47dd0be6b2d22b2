import Foundation
import MediaCore
@testable import MediaEngine
import Testing

@Suite("Opus through libopus")
struct OpusCodecTests {
    func tone(frame: Int, hertz: Double = 1_000) -> [Int16] {
        (0..<960).map { i in Int16(10_000 * sin(2 * Double.pi * hertz * Double(frame * 960 + i) / 48_000)) }
    }

    /// Encodes and decodes `frames` frames; `muted` says which frames are silence-mode muted.
    func run(frames: Int, muted: (Int) -> Bool) throws -> [[Int16]] {
        let encoder = try OpusEncoder(settings: OpusSettings())
        let decoder = try OpusDecoder()
        var packet = [UInt8](repeating: 0, count: 1500)
        var output: [[Int16]] = []
        for f in 0..<frames {
            encoder.setSilenceMode(muted(f))
            let input = muted(f) ? [Int16](repeating: 0, count: 960) : tone(frame: f)
            let n = try input.withUnsafeBufferPointer { input in
                try packet.withUnsafeMutableBytes { try encoder.encode(input.baseAddress!, into: $0) }
            }
            #expect(n > 2 && n < 400)
            var pcm = [Int16](repeating: 0, count: 960)
            let m = try packet.withUnsafeBytes { bytes in
                try pcm.withUnsafeMutableBufferPointer { try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<n]), into: $0) }
            }
            #expect(m == 960)
            output.append(pcm)
        }
        return output
    }

    @Test("a tone survives encode and decode with its frequency")
    func roundTrip() throws {
        let decoded = try run(frames: 50) { _ in false }.flatMap { $0 }
        #expect(abs(AudioAnalysis.dominantFrequency(decoded) - 1_000) <= 5)
    }

    @Test("muted frames decode to exact digital silence after the codec delay")
    func silenceIsExact() throws {
        let peaks = try run(frames: 40) { $0 >= 20 }.map { frame in frame.map { abs(Int($0)) }.max()! }
        #expect(peaks[19] > 5_000)
        // Two frames of codec delay, then nothing but zeros.
        #expect(peaks[22...].allSatisfy { $0 == 0 }, "peaks after muting: \(Array(peaks[20...]))")
    }

    @Test("out-of-range settings are refused naming the key")
    func validation() {
        #expect(throws: OpusError.self) { try OpusEncoder(settings: OpusSettings(bitrate: 1_000)) }
        do {
            _ = try OpusEncoder(settings: OpusSettings(complexity: 11))
            Issue.record("complexity 11 was accepted")
        } catch {
            #expect(error.description.contains("opus.complexity"))
        }
    }
}
