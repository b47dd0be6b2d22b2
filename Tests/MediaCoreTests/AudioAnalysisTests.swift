import Foundation
import MediaCore
import Testing

@Suite("Audio analysis")
struct AudioAnalysisTests {
    func tone(_ hertz: Double, seconds: Double = 1.5, amplitude: Double = 0.3) -> [Int16] {
        (0..<Int(48_000 * seconds)).map { Int16(amplitude * 32767 * sin(2 * Double.pi * hertz * Double($0) / 48_000)) }
    }

    @Test("finds a tone's frequency to within a hertz, also between the coarse steps",
          arguments: [440.0, 659.0, 660.0, 700.0, 1_000.0, 1_013.0, 3_337.0])
    func dominantFrequency(hertz: Double) {
        #expect(abs(AudioAnalysis.dominantFrequency(tone(hertz)) - hertz) <= 1)
    }

    @Test("levels: a 0.3 full-scale sine is about −13.5 dBFS; digital silence is −∞")
    func levels() {
        #expect(abs(AudioAnalysis.rmsDBFS(tone(1_000)) + 13.5) < 0.2)
        #expect(AudioAnalysis.rmsDBFS([Int16](repeating: 0, count: 960)) == -.infinity)
    }
}
