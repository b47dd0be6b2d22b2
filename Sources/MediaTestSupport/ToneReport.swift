import Foundation
import MediaCore

/// Pitch and level of the audible part of a recording: what a test checks after a tone
/// went through a codec, a network path or a sound server.
///
/// Leading and trailing quiet (a peer starting late, a decoder's warm-up, the tail after
/// the sender stopped) is trimmed in 20 ms blocks; pitch and level are measured on up to
/// one second from the middle of what remains.
public struct ToneReport: Sendable, CustomStringConvertible {
    /// Samples in the whole recording.
    public let sampleCount: Int
    /// Samples in the audible part (0 when everything was quiet).
    public let activeSampleCount: Int
    /// The dominant frequency of the measured window in Hz (0 when nothing was audible).
    public let dominantHertz: Double
    /// RMS level of the measured window in dBFS (−∞ when nothing was audible).
    public let levelDBFS: Double
    /// The tone's power over everything else in the measured window (noise, distortion,
    /// other tones), in dB: a sine fitted at the refined dominant frequency, against the rest.
    public let signalToNoiseDB: Double

    /// Blocks quieter than this count as silence when trimming.
    public static let quietThresholdDBFS = -50.0

    public init(samples: [Int16], sampleRate: Int = AudioFormat.sampleRate) {
        sampleCount = samples.count
        let block = sampleRate / 50
        func loud(_ start: Int) -> Bool {
            let end = min(start + block, samples.count)
            return AudioAnalysis.rmsDBFS(Array(samples[start..<end])) > Self.quietThresholdDBFS
        }
        var first = 0
        while first < samples.count, !loud(first) { first += block }
        var last = samples.count
        while last > first, !loud(max(first, last - block)) { last = max(first, last - block) }
        activeSampleCount = max(0, last - first)
        guard activeSampleCount >= block else {
            dominantHertz = 0
            levelDBFS = -.infinity
            signalToNoiseDB = -.infinity
            return
        }
        let length = min(activeSampleCount, sampleRate)
        let start = first + (activeSampleCount - length) / 2
        let window = Array(samples[start..<(start + length)])
        dominantHertz = AudioAnalysis.dominantFrequency(window, sampleRate: Double(sampleRate))
        levelDBFS = AudioAnalysis.rmsDBFS(window)
        signalToNoiseDB = Self.signalToNoise(window, near: dominantHertz, sampleRate: Double(sampleRate))
    }

    /// Fits `a·sin + b·cos` at the frequency near `hertz` that captures the most power (two
    /// passes: 0.02 Hz, then 0.001 Hz steps), and compares its power with the residual's.
    /// The fit runs over the middle quarter second: long enough for 0.001 Hz to matter little,
    /// short enough for a debug build.
    static func signalToNoise(_ window: [Int16], near hertz: Double, sampleRate: Double) -> Double {
        let length = min(window.count, Int(sampleRate) / 4)
        let start = (window.count - length) / 2
        let x = window[start..<(start + length)].map(Double.init)
        func fit(_ f: Double) -> (power: Double, a: Double, b: Double) {
            let w = 2 * Double.pi * f / sampleRate
            var s = 0.0, c = 0.0
            for (n, v) in x.enumerated() {
                s += v * sin(w * Double(n))
                c += v * cos(w * Double(n))
            }
            let a = 2 * s / Double(x.count), b = 2 * c / Double(x.count)
            return (a * a + b * b, a, b)
        }
        var best = hertz
        for (span, step) in [(3.0, 0.02), (0.02, 0.001)] {
            let center = best
            var bestPower = -1.0
            var f = center - span
            while f <= center + span {
                let power = fit(f).power
                if power > bestPower { bestPower = power; best = f }
                f += step
            }
        }
        let (_, a, b) = fit(best)
        let w = 2 * Double.pi * best / sampleRate
        var signal = 0.0, noise = 0.0
        for (n, v) in x.enumerated() {
            let fitted = a * sin(w * Double(n)) + b * cos(w * Double(n))
            signal += fitted * fitted
            noise += (v - fitted) * (v - fitted)
        }
        return noise == 0 ? .infinity : 10 * log10(signal / noise)
    }

    /// Seconds of audible signal at `sampleRate`.
    public func activeSeconds(sampleRate: Int = AudioFormat.sampleRate) -> Double {
        Double(activeSampleCount) / Double(sampleRate)
    }

    /// True when the audible part is a tone of `hertz` ± `tolerance` at a level in `levels`.
    public func isTone(_ hertz: Double, tolerance: Double = 5, levels: ClosedRange<Double> = -30 ... -6) -> Bool {
        abs(dominantHertz - hertz) <= tolerance && levels.contains(levelDBFS)
    }

    public var description: String {
        let level = levelDBFS.isFinite ? "\((levelDBFS * 10).rounded() / 10) dBFS" : "silence"
        let snr = signalToNoiseDB.isFinite ? ", SNR \((signalToNoiseDB * 10).rounded() / 10) dB" : ""
        return "\(sampleCount) samples, \(activeSampleCount) audible, dominant \(dominantHertz) Hz, level \(level)\(snr)"
    }
}
