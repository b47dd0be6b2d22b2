import Foundation
import MediaCore

/// One second of a sine tone at 48 kHz mono, cut into 20 ms frames.
///
/// A whole second of a whole-hertz tone holds an integral number of cycles, so cycling
/// through the 50 frames gives a seamless, endless signal: the encoder sees the same
/// kind of input in every iteration, and nothing is computed inside the measured loop.
public final class ToneSignal: @unchecked Sendable {
    /// Frames in the buffer (one second).
    public static let frameCount = AudioFormat.sampleRate / AudioFormat.samplesPerFrame

    private let samples: UnsafeMutablePointer<Int16>

    /// - Parameters:
    ///   - hertz: the tone's frequency.
    ///   - dBFS: its RMS level relative to full scale (−12 dBFS is a talking voice close to a headset).
    public init(hertz: Int = 440, dBFS: Double = -12) {
        let count = AudioFormat.sampleRate
        samples = .allocate(capacity: count)
        // RMS of a sine is peak / √2.
        let peak = 32767 * pow(10, dBFS / 20) * 2.0.squareRoot()
        for i in 0..<count {
            let phase = 2 * Double.pi * Double(hertz) * Double(i) / Double(AudioFormat.sampleRate)
            samples[i] = Int16(clamping: Int((peak * sin(phase)).rounded()))
        }
    }

    deinit { samples.deallocate() }

    /// The `index`-th 20 ms frame (any index: it wraps around).
    @inline(__always)
    public func frame(_ index: Int) -> UnsafePointer<Int16> {
        UnsafePointer(samples + (index % Self.frameCount) * AudioFormat.samplesPerFrame)
    }
}
