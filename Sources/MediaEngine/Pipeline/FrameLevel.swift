import Foundation
import MediaCore

/// Level metering and voice-activity detection on 20 ms frames, allocation-free.
enum FrameLevel {
    /// RMS level of one frame in hundredths of dBFS, floored at −120 dBFS.
    @inline(__always)
    static func centiDB(_ frame: UnsafePointer<Int16>, count: Int = AudioFormat.samplesPerFrame) -> Int32 {
        var sum: Int64 = 0
        for i in 0..<count {
            let s = Int64(frame[i])
            sum &+= s * s
        }
        guard sum > 0 else { return -12_000 }
        let rms = (Double(sum) / Double(count)).squareRoot()
        return Int32(max(-12_000, (2000 * log10(rms / 32768)).rounded()))
    }
}

/// A deliberately simple voice-activity detector for `speakingWhileMuted`: frames louder
/// than a threshold (speech-like energy, well above room noise) for 500 ms in a row fire
/// once, and then not again for 10 s.
struct VoiceActivityDetector {
    /// −40 dBFS: quiet speech close to a headset microphone is louder; hum and hiss are not.
    var thresholdCentiDB: Int32 = -4_000
    var framesNeeded = 25  // 500 ms
    var holdOffNanoseconds: UInt64 = 10_000_000_000
    private var run = 0
    private var lastFiredAt: UInt64 = 0

    /// Feeds one muted frame's level. - Returns: true when the event should fire.
    @inline(__always)
    mutating func feed(levelCentiDB: Int32, at now: UInt64) -> Bool {
        run = levelCentiDB >= thresholdCentiDB ? run + 1 : 0
        guard run >= framesNeeded else { return false }
        guard lastFiredAt == 0 || now &- lastFiredAt >= holdOffNanoseconds else { return false }
        lastFiredAt = now
        run = 0
        return true
    }

    /// The microphone was unmuted: speech now is expected.
    mutating func reset() { run = 0 }
}
