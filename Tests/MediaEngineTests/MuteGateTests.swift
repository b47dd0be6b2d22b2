import MediaCore
@testable import MediaEngine
import Synchronization
import Testing

@Suite("Mute gate")
struct MuteGateTests {
    /// Instants of a frame that ends at `end`: sample k was captured at start + k/48000 s.
    static let end: UInt64 = 1_000_000_000
    static let start = end - AudioFormat.frameNanoseconds
    /// The capture instant of sample `k` of that frame.
    static func instant(ofSample k: Int, frame: UInt64 = 0) -> UInt64 {
        start + frame * AudioFormat.frameNanoseconds + (UInt64(k) * 1_000_000_000 + 47_999) / 48_000
    }

    /// A frame of constant level, so every sample shows whether the gate touched it.
    final class Frame {
        let samples = UnsafeMutablePointer<Int16>.allocate(capacity: 960)
        init() { refill() }
        deinit { samples.deallocate() }
        func refill() { samples.initialize(repeating: 10_000, count: 960) }
        func zeros(_ range: Range<Int>) -> Bool { range.allSatisfy { samples[$0] == 0 } }
        func untouched(_ range: Range<Int>) -> Bool { range.allSatisfy { samples[$0] == 10_000 } }
        var liveIndices: [Int] { (0..<960).filter { samples[$0] != 0 } }
    }

    func gate(muted: Bool = false, _ transitions: [(Bool, UInt64)]) -> MuteGate {
        var gate = MuteGate(muted: muted, mode: .silence)
        for (mute, at) in transitions { gate.add(.init(mute: mute, at: at, disableMode: false)) }
        return gate
    }

    @Test("a mute mid-frame silences every sample captured at or after the request, ramping only earlier ones")
    func cutsAtTheRequest() {
        var gate = gate([(true, Self.instant(ofSample: 480) + 10_000)])
        defer { gate.deallocate() }
        let frame = Frame()
        let decision = gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end))
        #expect(decision.transition && !decision.fullyMuted)
        // The request fell within sample 480's period: 480 is silenced (rounded early).
        #expect(frame.zeros(480..<960))
        #expect(frame.samples[479] != 0)
        #expect(frame.untouched(0..<(480 - 240)), "the fade-out is at most 5 ms")
        #expect(frame.samples[479] < 10_000)
    }

    @Test("an unmute lets through only samples captured at or after the request (rounded late)")
    func unmuteRoundsLate() {
        var gate = gate(muted: true, [(false, Self.instant(ofSample: 300) + 10_000)])
        defer { gate.deallocate() }
        let frame = Frame()
        let decision = gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end))
        #expect(decision.transition && !decision.fullyMuted)
        #expect(frame.zeros(0..<301), "sample 300 was captured before the unmute arrived")
        #expect(frame.samples[301] != 0)
        #expect(frame.untouched((301 + 240)..<960))
    }

    @Test("mute → unmute → mute within one frame: each span cut where it fell, the first muted span included")
    func severalTransitionsInOneFrame() {
        var gate = gate([(true, Self.instant(ofSample: 100)), (false, Self.instant(ofSample: 300)), (true, Self.instant(ofSample: 850))])
        defer { gate.deallocate() }
        let frame = Frame()
        let decision = gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end))
        #expect(gate.muted)
        #expect(!decision.fullyMuted)
        #expect(frame.samples[99] != 0)
        #expect(frame.zeros(100..<300))
        #expect(frame.samples[300] != 0, "sample 300 was captured at the unmute's instant")
        #expect(frame.untouched(540..<610))
        #expect(frame.zeros(850..<960))
    }

    @Test("a mute and an unmute that both fell before the frame leave it live; in the other order, silent")
    func transitionsBeforeTheFrame() {
        var live = gate([(true, Self.start - 5_000_000), (false, Self.start - 1_000_000)])
        defer { live.deallocate() }
        let frame = Frame()
        let decision = live.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end))
        #expect(!live.muted && !decision.fullyMuted && frame.untouched(240..<960))

        var silent = gate([(false, Self.start - 5_000_000), (true, Self.start - 1_000_000)])
        defer { silent.deallocate() }
        frame.refill()
        #expect(silent.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end)).fullyMuted)
        #expect(frame.zeros(0..<960))
    }

    @Test("after a stall, a mute and an unmute drained together still silence every buffered frame captured between them")
    func burstAfterAStall() {
        // Both requests arrived while the reader was stalled; the device kept capturing.
        var gate = gate([(true, Self.instant(ofSample: 500)), (false, Self.instant(ofSample: 200, frame: 2))])
        defer { gate.deallocate() }
        let frame = Frame()
        _ = gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end))
        #expect(frame.samples[499] != 0 && frame.zeros(500..<960))
        frame.refill()
        #expect(gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end + AudioFormat.frameNanoseconds)).fullyMuted)
        #expect(frame.zeros(0..<960))
        frame.refill()
        let last = gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end + 2 * AudioFormat.frameNanoseconds))
        #expect(last.transition && !gate.muted)
        #expect(frame.zeros(0..<201) && frame.samples[201] != 0 && frame.untouched(441..<960))
    }

    @Test("a transition later than the captured audio (device latency) waits for the frame that reaches it")
    func waitsForTheAudioThatReachesIt() {
        var gate = gate([(true, Self.end + 5_000_000)])
        defer { gate.deallocate() }
        let frame = Frame()
        let first = gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end))
        #expect(!first.transition && frame.untouched(0..<960), "audio captured before the request is sent as it was")
        frame.refill()
        let second = gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end + AudioFormat.frameNanoseconds))
        #expect(second.transition && frame.zeros(240..<960) && frame.samples[239] != 0)
        frame.refill()
        #expect(gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end + 2 * AudioFormat.frameNanoseconds)).fullyMuted)
        #expect(frame.zeros(0..<960))
    }

    @Test("with a capture time known only as a bracket, a mute cuts by its latest bound and an unmute by its earliest")
    func bracketErrsTowardsSilence() {
        // The device says the frame ended between 10 ms before `end` and `end`.
        let captured = CaptureInstants(latestEnd: Self.end, earliestEnd: Self.end - 10_000_000)
        var muting = gate([(true, Self.instant(ofSample: 480))])
        defer { muting.deallocate() }
        let frame = Frame()
        _ = muting.apply(to: frame.samples, captured: captured)
        #expect(frame.zeros(480..<960) && frame.samples[479] != 0, "a mute cuts where the sample may have been captured at the latest")

        var unmuting = gate(muted: true, [(false, Self.instant(ofSample: 300))])
        defer { unmuting.deallocate() }
        frame.refill()
        _ = unmuting.apply(to: frame.samples, captured: captured)
        // Sample 300 by the latest bound is sample 780 by the earliest: everything before it stays silent.
        #expect(frame.zeros(0..<780) && frame.samples[780] != 0, "an unmute lets through only what was certainly captured after it")
    }

    @Test("the mode of the last mute reached is the gate's; a mute while muted only changes the mode")
    func modeChangeWhileMuted() {
        var gate = MuteGate(muted: false, mode: .silence)
        defer { gate.deallocate() }
        gate.add(.init(mute: true, at: 0, disableMode: false))
        gate.add(.init(mute: true, at: Self.instant(ofSample: 10), disableMode: true))
        let frame = Frame()
        #expect(gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end)).fullyMuted)
        #expect(gate.disableMode)
    }

    @Test("a full pending buffer merges on the safe side: never an unmute earlier than asked")
    func overflowStaysMuted() {
        var gate = MuteGate(muted: true, mode: .silence)
        defer { gate.deallocate() }
        // Far-future transitions that the audio never reaches: unmute, mute, unmute, …
        for k in 0..<(MuteGate.capacity + 7) {
            gate.add(.init(mute: k % 2 == 1, at: Self.end * 10 + UInt64(k), disableMode: false))
        }
        let frame = Frame()
        #expect(gate.apply(to: frame.samples, captured: CaptureInstants(exactly: Self.end)).fullyMuted)
        #expect(gate.muted)
    }
}

@Suite("Media command queue")
struct MediaCommandQueueTests {
    @Test("commands come out in order, acknowledged by sequence number; a full queue refuses instead of dropping")
    func orderedAcknowledgedBounded() {
        let queue = MediaCommandQueue()
        var sequences: [UInt64] = []
        for k in 0..<MediaCommandQueue.capacity { sequences.append(queue.enqueue(.setBitrate(6_000 + k))!) }
        #expect(queue.enqueue(.setBitrate(1)) == nil)
        #expect(!queue.isApplied(sequences[0]))
        var seen: [Int] = []
        queue.drain { command in if case .setBitrate(let b) = command { seen.append(b - 6_000) } }
        #expect(seen == Array(0..<MediaCommandQueue.capacity))
        #expect(queue.isApplied(sequences.last!))
        #expect(queue.enqueue(.setDirection(sending: false)) == sequences.last! + 1)
    }

    @Test("several producers: every command is applied exactly once and each producer's order is kept")
    func concurrentProducers() async {
        let queue = MediaCommandQueue()
        let perProducer = 2_000
        let drained = DrainRecord()
        let consumer = Task.detached {
            while drained.count < 4 * perProducer {
                queue.drain { if case .setBitrate(let b) = $0 { drained.append(b) } }
                await Task.yield()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<4 {
                group.addTask {
                    var k = 0
                    while k < perProducer {
                        if queue.enqueue(.setBitrate(producer * 100_000 + k)) != nil { k += 1 } else { await Task.yield() }
                    }
                }
            }
        }
        await consumer.value
        let values = drained.values
        #expect(values.count == 4 * perProducer)
        for producer in 0..<4 {
            let mine = values.filter { $0 / 100_000 == producer }.map { $0 % 100_000 }
            #expect(mine == Array(0..<perProducer))
        }
    }
}

/// What the test's consumer drained, readable from the test.
final class DrainRecord: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var count: Int { storage.withLock { $0.count } }
    var values: [Int] { storage.withLock { $0 } }
}
