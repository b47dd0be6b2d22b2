import MediaCore

/// Applies mute transitions to captured frames on the send thread, sample-accurately and in
/// the order they were requested.
///
/// A transition is dated by the instant its request arrived; a sample by the instant the
/// device captured it, known as a bracket (`CaptureInstants`): a mute silences every sample
/// that may have been captured at or after its instant (the latest bound, rounded early), an
/// unmute lets through only samples certainly captured at or after its instant (the earliest
/// bound, rounded late), so neither edge sends audio from the wrong side of a request. Several
/// transitions within one frame each cut where they fall. A transition whose instant the
/// captured audio has not reached yet (the device's latency) waits for the frame that does.
/// The ≤ 5 ms ramps use only audio from the live side of each cut.
struct MuteGate {
    static let rampSamples = 240  // 5 ms at 48 kHz
    /// Pending transitions a frame can hold: as many as the command queue.
    static let capacity = MediaCommandQueue.capacity

    struct Transition {
        var mute: Bool
        var at: UInt64
        var disableMode: Bool
    }

    /// What the gate decided for one frame.
    struct Decision {
        /// No sample of the frame is live: encode as silence (or send nothing in `disable`).
        var fullyMuted: Bool
        /// The state at the end of the frame differs from the start.
        var transition: Bool
    }

    /// The state reached by the last frame gated.
    private(set) var muted: Bool
    /// The mode of the last mute reached.
    private(set) var disableMode: Bool

    private let pending: UnsafeMutablePointer<Transition>
    private var pendingHead = 0
    private var pendingCount = 0

    init(muted: Bool, mode: MuteMode) {
        self.muted = muted
        self.disableMode = mode == .disable
        pending = .allocate(capacity: Self.capacity)
    }

    /// Frees the pending buffer; called once by the owner (the gate is a value inside it).
    func deallocate() { pending.deallocate() }

    /// Takes a transition drained from the command queue. A full buffer means the capture has
    /// not advanced for many requests; the oldest are then merged on the safe side: a mute is
    /// applied at once (earlier than asked), an unmute is dropped with the mute after it (the
    /// line stays muted in between).
    mutating func add(_ transition: Transition) {
        while pendingCount == Self.capacity {
            let oldest = popPending()
            if oldest.mute {
                muted = true
                disableMode = oldest.disableMode
            } else {
                while pendingCount > 0 {
                    let next = popPending()
                    if next.mute {
                        disableMode = next.disableMode
                        break
                    }
                }
            }
        }
        pending[(pendingHead + pendingCount) % Self.capacity] = transition
        pendingCount += 1
    }

    private mutating func popPending() -> Transition {
        let first = pending[pendingHead]
        pendingHead = (pendingHead + 1) % Self.capacity
        pendingCount -= 1
        return first
    }

    /// Gates one 20 ms frame in place.
    /// - Parameters:
    ///   - frame: 960 samples.
    ///   - captured: when the frame was captured (the instant just after its last sample).
    @inline(__always)
    mutating func apply(to frame: UnsafeMutablePointer<Int16>, captured: CaptureInstants) -> Decision {
        let n = AudioFormat.samplesPerFrame
        let latestStart = captured.latestEnd &- AudioFormat.frameNanoseconds
        let earliestStart = captured.earliestEnd &- AudioFormat.frameNanoseconds
        let mutedAtStart = muted
        var segment = 0  // where the current run of one state began
        var liveFromUnmute = false
        var live = 0
        while pendingCount > 0 {
            let head = pending[pendingHead]
            guard head.at < (head.mute ? captured.latestEnd : captured.earliestEnd) else { break }
            let next = popPending()
            if next.mute { disableMode = next.disableMode }
            guard next.mute != muted else { continue }
            if next.mute {
                let cut = max(segment, Self.index(next.at, from: latestStart, roundingUp: false))
                Self.ramp(frame, live: segment..<cut, fadeIn: liveFromUnmute, fadeOut: true)
                live += cut - segment
                segment = cut
            } else {
                let cut = max(segment, Self.index(next.at, from: earliestStart, roundingUp: true))
                frame.advanced(by: segment).update(repeating: 0, count: cut - segment)
                segment = cut
                liveFromUnmute = true
            }
            muted = next.mute
        }
        if muted {
            frame.advanced(by: segment).update(repeating: 0, count: n - segment)
        } else {
            Self.ramp(frame, live: segment..<n, fadeIn: liveFromUnmute, fadeOut: false)
            live += n - segment
        }
        return Decision(fullyMuted: live == 0, transition: muted != mutedAtStart)
    }

    /// The index of the first sample captured at or after `instant`, in a frame whose first
    /// sample was captured at `start`; rounded down (early) or up (late), clamped to the frame.
    @inline(__always)
    static func index(_ instant: UInt64, from start: UInt64, roundingUp: Bool) -> Int {
        guard instant > start else { return 0 }
        let offset = instant - start
        guard offset < AudioFormat.frameNanoseconds else { return AudioFormat.samplesPerFrame }
        let scaled = offset * UInt64(AudioFormat.sampleRate)
        return Int((roundingUp ? scaled + 999_999_999 : scaled) / 1_000_000_000)
    }

    /// Ramps a live run: in from its start after an unmute, out towards its end before a mute.
    @inline(__always)
    static func ramp(_ frame: UnsafeMutablePointer<Int16>, live: Range<Int>, fadeIn: Bool, fadeOut: Bool) {
        let length = min(rampSamples, live.count)
        guard length > 0 else { return }
        if fadeIn {
            for k in 0..<length {
                let i = live.lowerBound + k
                frame[i] = Int16(Int32(frame[i]) * Int32(k + 1) / Int32(length + 1))
            }
        }
        if fadeOut {
            for k in 0..<length {
                let i = live.upperBound - length + k
                frame[i] = Int16(Int32(frame[i]) * Int32(length - k) / Int32(length + 1))
            }
        }
    }
}

/// When a frame was captured, as a bracket around the truth: the instant just after its last
/// sample at the latest and at the earliest. A device that reports its delay exactly gives
/// one instant; the bracket keeps each mute edge safe when a report is only a bound.
public struct CaptureInstants: Sendable, Equatable {
    /// No sample can have been captured later than this (the audio was already buffered).
    public var latestEnd: UInt64
    /// No sample was captured earlier than this, as far as the device's delay says.
    public var earliestEnd: UInt64

    public init(latestEnd: UInt64, earliestEnd: UInt64) {
        self.latestEnd = latestEnd
        self.earliestEnd = min(earliestEnd, latestEnd)
    }

    /// An exactly known instant (tone and file sources).
    public init(exactly end: UInt64) {
        self.init(latestEnd: end, earliestEnd: end)
    }
}
