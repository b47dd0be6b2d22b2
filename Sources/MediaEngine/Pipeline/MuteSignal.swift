import MediaCore
import Synchronization

/// The desired mute state as the media thread reads it: lock-free, once per frame.
///
/// The control path writes (serialised by its own lock); the media thread reads with
/// acquire ordering and acknowledges each generation it has applied, so a `mute` reply
/// can be held until the media has really changed.
public final class MuteSignal: Sendable {
    // bit 0: muted, bit 1: disable mode, bits 2…: generation.
    let word = Atomic<UInt64>(0)
    /// Monotonic time of the most recent mute / unmute request.
    let lastMuteAt = Atomic<UInt64>(0)
    let lastUnmuteAt = Atomic<UInt64>(0)
    /// The last generation the media thread has applied to a frame.
    let appliedGeneration = Atomic<UInt64>(0)

    public init(muted: Bool = false, mode: MuteMode = .silence) {
        word.store(Self.pack(muted: muted, mode: mode, generation: 0), ordering: .relaxed)
    }

    static func pack(muted: Bool, mode: MuteMode, generation: UInt64) -> UInt64 {
        generation << 2 | (mode == .disable ? 2 : 0) | (muted ? 1 : 0)
    }

    /// Publishes a new desired state requested at `requestedAt` (monotonic ns).
    /// - Returns: the generation to wait for with `isApplied(_:)`.
    @discardableResult
    public func publish(muted: Bool, mode: MuteMode, requestedAt: UInt64 = MonotonicClock.now()) -> UInt64 {
        if muted { lastMuteAt.store(requestedAt, ordering: .relaxed) } else { lastUnmuteAt.store(requestedAt, ordering: .relaxed) }
        let generation = (word.load(ordering: .relaxed) >> 2) &+ 1
        word.store(Self.pack(muted: muted, mode: mode, generation: generation), ordering: .releasing)
        return generation
    }

    public var muted: Bool { word.load(ordering: .acquiring) & 1 != 0 }
    public var generation: UInt64 { word.load(ordering: .acquiring) >> 2 }

    /// True once the media thread has applied `generation` (or a later one) to a frame.
    public func isApplied(_ generation: UInt64) -> Bool {
        appliedGeneration.load(ordering: .acquiring) >= generation
    }
}

/// Applies the mute state to captured frames on the media thread.
///
/// The cut is sample-accurate: a request that arrived in the middle of a frame silences
/// the samples captured after it, and the ≤ 5 ms fade-out uses only audio captured before
/// the request; the fade-in after an unmute uses only audio captured after it.
struct MuteGate {
    static let rampSamples = 240  // 5 ms at 48 kHz

    private(set) var muted = false
    private(set) var disableMode = false
    private var generation: UInt64 = 0

    /// What the gate decided for one frame.
    struct Decision {
        /// The whole frame or part of it was silenced.
        var touched: Bool
        /// The frame is entirely muted.
        var fullyMuted: Bool
        /// A new state was applied in this frame.
        var transition: Bool
    }

    init(signal: MuteSignal) {
        let word = signal.word.load(ordering: .acquiring)
        muted = word & 1 != 0
        disableMode = word & 2 != 0
        generation = word >> 2
        signal.appliedGeneration.store(generation, ordering: .releasing)
    }

    /// Gates one 20 ms frame in place.
    /// - Parameters:
    ///   - frame: 960 samples, captured up to `capturedAt` (monotonic ns).
    @inline(__always)
    mutating func apply(to frame: UnsafeMutablePointer<Int16>, capturedAt: UInt64, signal: MuteSignal) -> Decision {
        let word = signal.word.load(ordering: .acquiring)
        let newGeneration = word >> 2
        let wasMuted = muted
        muted = word & 1 != 0
        disableMode = word & 2 != 0
        let n = AudioFormat.samplesPerFrame
        guard newGeneration != generation else {
            if muted { frame.update(repeating: 0, count: n) }
            return Decision(touched: muted, fullyMuted: muted, transition: false)
        }
        generation = newGeneration
        let frameStart = capturedAt &- AudioFormat.frameNanoseconds
        func index(_ t: UInt64) -> Int {
            guard t > frameStart else { return 0 }
            return min(n, Int((t - frameStart) / 20_834))  // ns per sample at 48 kHz, rounded up: cuts early, never late
        }
        let muteIndex = index(signal.lastMuteAt.load(ordering: .relaxed))
        let unmuteIndex = index(signal.lastUnmuteAt.load(ordering: .relaxed))
        var fully = false
        switch (wasMuted, muted) {
        case (false, true):
            Self.fadeOut(frame, before: muteIndex)
            (frame + muteIndex).update(repeating: 0, count: n - muteIndex)
            fully = muteIndex == 0
        case (true, false):
            frame.update(repeating: 0, count: unmuteIndex)
            Self.fadeIn(frame, from: unmuteIndex)
        case (true, true):
            frame.update(repeating: 0, count: n)
            fully = true
        case (false, false):
            // Muted and unmuted again within this frame: silence the span between.
            if muteIndex < unmuteIndex {
                Self.fadeOut(frame, before: muteIndex)
                (frame + muteIndex).update(repeating: 0, count: unmuteIndex - muteIndex)
                Self.fadeIn(frame, from: unmuteIndex)
            }
        }
        signal.appliedGeneration.store(newGeneration, ordering: .releasing)
        return Decision(touched: true, fullyMuted: fully, transition: wasMuted != muted)
    }

    @inline(__always)
    static func fadeOut(_ frame: UnsafeMutablePointer<Int16>, before end: Int) {
        let length = min(rampSamples, end)
        for k in 0..<length {
            let i = end - length + k
            frame[i] = Int16(Int32(frame[i]) * Int32(length - k) / Int32(length + 1))
        }
    }

    @inline(__always)
    static func fadeIn(_ frame: UnsafeMutablePointer<Int16>, from start: Int) {
        let length = min(rampSamples, AudioFormat.samplesPerFrame - start)
        for k in 0..<length {
            frame[start + k] = Int16(Int32(frame[start + k]) * Int32(k + 1) / Int32(length + 1))
        }
    }
}
