import Foundation

/// Level and pitch measurements on 16-bit audio: the demo's far-end meter, the voice
/// activity detector and the tests' checks of what arrived.
public enum AudioAnalysis {
    /// RMS level in dBFS (a full-scale sine is about −3 dBFS); −∞ for digital silence.
    public static func rmsDBFS(_ samples: UnsafeBufferPointer<Int16>) -> Double {
        guard !samples.isEmpty else { return -.infinity }
        var sum = 0.0
        for s in samples { sum += Double(s) * Double(s) }
        let rms = (sum / Double(samples.count)).squareRoot()
        return rms == 0 ? -.infinity : 20 * log10(rms / 32768)
    }

    public static func rmsDBFS(_ samples: [Int16]) -> Double {
        samples.withUnsafeBufferPointer { rmsDBFS($0) }
    }

    /// True when every sample is exactly zero.
    public static func isDigitalSilence(_ samples: UnsafeBufferPointer<Int16>) -> Bool {
        for s in samples where s != 0 { return false }
        return true
    }

    /// Power of one frequency (Goertzel), normalised to the squared amplitude of a sine.
    public static func goertzelPower(_ samples: ArraySlice<Int16>, frequency: Double, sampleRate: Double = Double(AudioFormat.sampleRate)) -> Double {
        let w = 2 * Double.pi * frequency / sampleRate
        let coefficient = 2 * cos(w)
        var s1 = 0.0, s2 = 0.0
        for x in samples {
            let s0 = Double(x) / 32768 + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        let n = Double(samples.count)
        return 4 * power / (n * n)
    }

    /// The dominant frequency between `low` and `high` Hz, found by a coarse then fine
    /// Goertzel scan (1 Hz resolution within ±25 Hz of the coarse peak) over the last second.
    ///
    /// Power is summed over short blocks rather than taken over the whole second: a filter's
    /// main lobe is as wide as the inverse of its window, so 40 ms blocks suit the 25 Hz
    /// coarse steps, and 100 ms blocks keep audio that went through a jitter buffer (phase
    /// jumps where frames were concealed or dropped) from smearing the fine peak.
    public static func dominantFrequency(_ samples: [Int16], low: Double = 50, high: Double = 8_000, sampleRate: Double = Double(AudioFormat.sampleRate)) -> Double {
        let window = samples.suffix(min(samples.count, Int(sampleRate)))
        func power(_ frequency: Double, block: Int) -> Double {
            let block = min(block, window.count)
            var total = 0.0
            var start = window.startIndex
            while start + block <= window.endIndex {
                total += goertzelPower(window[start..<(start + block)], frequency: frequency, sampleRate: sampleRate)
                start += block
            }
            return total
        }
        var best = (f: low, p: -1.0)
        var f = low
        while f <= high {
            let p = power(f, block: Int(sampleRate / 25))
            if p > best.p { best = (f, p) }
            f += 25
        }
        var fine = (f: best.f, p: -1.0)
        f = max(low, best.f - 25)
        while f <= min(high, best.f + 25) {
            let p = power(f, block: Int(sampleRate / 10))
            if p > fine.p { fine = (f, p) }
            f += 1
        }
        return fine.f
    }
}
