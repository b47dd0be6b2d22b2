import MediaCore
import Testing

/// Drives a `JitterBuffer` on a simulated clock. Payloads are the two bytes of the sequence
/// number, so every played frame can be traced back to the packet it came from.
final class JitterBufferDriver {
    let buffer: JitterBuffer
    var now: UInt64 = 1_000_000_000
    var timestampBase: UInt32 = 4_000_000_000
    /// The far end's packet duration in samples (nil: the configured 20 ms, unstated).
    var packetSamples: Int?

    init(_ configuration: JitterBuffer.Configuration = .init()) {
        buffer = JitterBuffer(configuration: configuration)
    }

    static func ms(_ value: Double) -> UInt64 { UInt64(value * 1_000_000) }

    @discardableResult
    func insert(_ sequence: UInt16, timestamp: UInt32? = nil, marker: Bool = false, size: Int = 2) -> JitterBufferInsertResult {
        var bytes = [UInt8](repeating: 0xAB, count: size)
        if size >= 2 {
            bytes[0] = UInt8(sequence >> 8)
            bytes[1] = UInt8(sequence & 0xFF)
        }
        let ts = timestamp ?? timestampBase &+ UInt32(sequence) &* UInt32(packetSamples ?? 960)
        return bytes.withUnsafeBytes {
            buffer.insert(sequenceNumber: sequence, timestamp: ts, marker: marker, payload: $0, samples: packetSamples, arrival: now)
        }
    }

    /// One playout tick, described as text: "p<seq>", "l<seq>+f<seq>", "l<seq>", "e:<reason>".
    func tick(advance: Double = 20) -> String {
        defer { now += Self.ms(advance) }
        switch buffer.nextFrame(now: now) {
        case .packet(let packet):
            #expect(packet.payload.count == 2)
            #expect(UInt16(packet.payload[0]) << 8 | UInt16(packet.payload[1]) == packet.sequenceNumber)
            return "p\(packet.sequenceNumber)"
        case .lost(let sequence, let next):
            guard let next else { return "l\(sequence)" }
            #expect(UInt16(next.payload[0]) << 8 | UInt16(next.payload[1]) == next.sequenceNumber)
            return "l\(sequence)+f\(next.sequenceNumber)"
        case .empty(let reason):
            return "e:\(reason)"
        }
    }

    func ticks(_ count: Int) -> [String] { (0..<count).map { _ in tick() } }
}

@Suite struct JitterBufferTests {
    @Test func startsIdleAndPlaysInOrder() {
        let driver = JitterBufferDriver()
        #expect(driver.tick() == "e:idle")
        var played: [String] = []
        for sequence in UInt16(100)..<110 {
            driver.insert(sequence)
            played.append(driver.tick())
        }
        #expect(played == (100..<110).map { "p\($0)" })
        #expect(driver.tick() == "e:underrun")
        #expect(driver.tick() == "e:buffering")
        #expect(driver.buffer.counters.played == 10)
        #expect(driver.buffer.counters.lost == 0)
        #expect(driver.buffer.counters.underruns == 1)
    }

    @Test func reordersPackets() {
        let driver = JitterBufferDriver()
        for sequence: UInt16 in [101, 100, 103, 102, 104] { #expect(driver.insert(sequence) == .stored) }
        #expect(driver.buffer.bufferedMilliseconds == 100)
        #expect(driver.ticks(5) == ["p100", "p101", "p102", "p103", "p104"])
        #expect(driver.buffer.counters.lost == 0)
    }

    @Test func dropsDuplicatesAndLatePackets() {
        let driver = JitterBufferDriver()
        driver.insert(10)
        driver.insert(11)
        #expect(driver.insert(11) == .duplicate)
        #expect(driver.ticks(2) == ["p10", "p11"])
        #expect(driver.insert(10) == .late)
        #expect(driver.insert(11) == .late)
        #expect(driver.buffer.counters.duplicates == 1)
        #expect(driver.buffer.counters.late == 2)
        #expect(driver.buffer.bufferedPackets == 0)
    }

    @Test func reportsLossWithTheNextPacketForFEC() {
        // A fixed 20 ms target: a missing packet is given up at once.
        let driver = JitterBufferDriver(.init(maximumDelayMilliseconds: 20))
        for sequence: UInt16 in [200, 202, 203, 205] { driver.insert(sequence) }
        #expect(driver.ticks(6) == ["p200", "l201+f202", "p202", "p203", "l204+f205", "p205"])
        #expect(driver.buffer.counters.lost == 2)
        // A loss with nothing buffered after it is found once playout is back.
        driver.insert(207)
        #expect(driver.tick() == "l206+f207")
        #expect(driver.tick() == "p207")
    }

    @Test func lossWithoutLookahead() {
        let driver = JitterBufferDriver()
        for sequence: UInt16 in [1, 4] { driver.insert(sequence) }
        #expect(driver.ticks(4) == ["p1", "l2", "l3+f4", "p4"])
    }

    @Test func handlesSequenceWrapAround() {
        let driver = JitterBufferDriver()
        for sequence: UInt16 in [65533, 65534, 0, 65535, 2, 1] { #expect(driver.insert(sequence) == .stored) }
        #expect(driver.ticks(6) == ["p65533", "p65534", "p65535", "p0", "p1", "p2"])
        #expect(driver.insert(65535) == .late)
        #expect(driver.buffer.counters.lost == 0)
    }

    @Test func earlierPacketBeforePlayoutStartsMovesTheStartBack() {
        let driver = JitterBufferDriver()
        driver.insert(51)
        driver.insert(50)
        #expect(driver.ticks(2) == ["p50", "p51"])
    }

    @Test func timestampJumpsAreNotLosses() {
        let driver = JitterBufferDriver()
        // DTX-style: sequence numbers continue while timestamps jump by a second.
        driver.insert(300, timestamp: 1000)
        driver.insert(301, timestamp: 1000 + 48000)
        driver.insert(302, timestamp: 1000 + 48960)
        #expect(driver.ticks(3) == ["p300", "p301", "p302"])
        // Far end muted in `disable` mode: nothing arrives for a while…
        #expect(driver.ticks(25).allSatisfy { $0.hasPrefix("e:") })
        // …then the next sequence number, the timestamp advanced by real time, marker set.
        driver.insert(303, timestamp: 1000 + 48960 + 960 * 26, marker: true)
        driver.insert(304, timestamp: 1000 + 48960 + 960 * 27)
        #expect(driver.ticks(2) == ["p303", "p304"])
        #expect(driver.buffer.counters.lost == 0)
        #expect(driver.buffer.counters.resyncs == 0)
    }

    @Test func markerAfterSilenceIsAResyncPoint() {
        let driver = JitterBufferDriver()
        driver.insert(10)
        #expect(driver.ticks(3) == ["p10", "e:underrun", "e:buffering"])
        // A sender that skipped sequence numbers while silent: no loss storm.
        driver.insert(40, marker: true)
        driver.insert(41)
        #expect(driver.ticks(2) == ["p40", "p41"])
        #expect(driver.buffer.counters.lost == 0)
    }

    @Test func farFuturePacketResynchronises() {
        let driver = JitterBufferDriver()
        driver.insert(1000)
        driver.insert(1001)
        #expect(driver.tick() == "p1000")
        #expect(driver.insert(1001 &+ 500) == .resynchronised)
        driver.insert(1502)
        #expect(driver.ticks(2) == ["p1501", "p1502"])
        #expect(driver.buffer.counters.resyncs == 1)
    }

    @Test func sequenceRestartFarBehindIsConfirmedByTwoPackets() {
        let driver = JitterBufferDriver()
        driver.insert(30000)
        #expect(driver.tick() == "p30000")
        #expect(driver.insert(20000) == .late)
        #expect(driver.insert(20001) == .resynchronised)
        driver.insert(20002)
        #expect(driver.ticks(2) == ["p20001", "p20002"])
    }

    @Test func refusesOversizedPayloads() {
        let driver = JitterBufferDriver(.init(maximumPayloadSize: 100))
        #expect(driver.insert(1, size: 101) == .tooLarge)
        #expect(driver.insert(2, size: 100) != .tooLarge)
        #expect(driver.buffer.counters.tooLarge == 1)
        #expect(driver.buffer.counters.received == 2)
    }

    @Test func resetForgetsPackets() {
        let driver = JitterBufferDriver()
        driver.insert(5)
        driver.insert(6)
        driver.buffer.reset()
        #expect(driver.tick() == "e:idle")
        driver.insert(9000)
        #expect(driver.tick() == "p9000")
    }

    /// Packets sent every 20 ms; with jitter every other one is delayed by 60 ms. Playout ticks
    /// every 20 ms at a 10 ms phase offset. Returns the ticks' results.
    func run(_ driver: JitterBufferDriver, from first: inout UInt16, seconds: Int, jitter: Bool) -> [String] {
        run(driver, packetMilliseconds: 20, from: &first, seconds: seconds, spike: jitter ? 60 : 0)
    }

    @Test func targetGrowsUnderJitterAndShrinksBack() {
        let driver = JitterBufferDriver()
        var sequence: UInt16 = 60000
        #expect(driver.buffer.targetDelayMilliseconds == 20)
        _ = run(driver, from: &sequence, seconds: 2, jitter: false)
        #expect(driver.buffer.targetDelayMilliseconds == 20)
        #expect(driver.buffer.counters.underruns == 0)

        let jittered = run(driver, from: &sequence, seconds: 4, jitter: true)
        #expect(driver.buffer.jitterMilliseconds > 40)
        #expect(driver.buffer.targetDelayMilliseconds >= 120)
        #expect(driver.buffer.targetDelayMilliseconds <= 200)
        // Once the target covers the jitter, playout runs without gaps.
        #expect(jittered.suffix(50).allSatisfy { $0.hasPrefix("p") })
        // The delay built up to what the 60 ms spikes need, not beyond.
        #expect(driver.buffer.bufferedMilliseconds >= 60)
        #expect(driver.buffer.counters.stretched > 0)
        // Only the first spikes, before the estimate caught up, cost packets.
        let lostWhileAdapting = driver.buffer.counters.lost
        #expect(lostWhileAdapting <= 4)

        let calm = run(driver, from: &sequence, seconds: 16, jitter: false)
        #expect(driver.buffer.targetDelayMilliseconds == 20)
        #expect(driver.buffer.bufferedMilliseconds <= 40)
        #expect(driver.buffer.counters.droppedForLatency > 0)
        #expect(calm.suffix(50).allSatisfy { $0.hasPrefix("p") })
        #expect(driver.buffer.counters.lost == lostWhileAdapting)
    }

    @Test func targetStaysWithinConfiguredBounds() {
        let driver = JitterBufferDriver(.init(minimumDelayMilliseconds: 40, maximumDelayMilliseconds: 80))
        #expect(driver.buffer.targetDelayMilliseconds == 40)
        var sequence: UInt16 = 1
        _ = run(driver, from: &sequence, seconds: 3, jitter: true)
        #expect(driver.buffer.targetDelayMilliseconds == 80)
    }

    /// Packets of `packetMilliseconds` sent on time; with a spike every other one is late by
    /// `spike` ms. Playout takes a packet every `packetMilliseconds` at half a packet's phase.
    func run(_ driver: JitterBufferDriver, packetMilliseconds: Double, from first: inout UInt16, seconds: Int, spike: Double) -> [String] {
        var events: [(time: UInt64, sequence: UInt16?)] = []
        let start = driver.now
        let count = Int(Double(seconds) * 1000 / packetMilliseconds)
        for i in 0..<count {
            let send = start + JitterBufferDriver.ms(Double(i) * packetMilliseconds)
            events.append((send + JitterBufferDriver.ms(i % 2 == 1 ? spike : 0), first &+ UInt16(i)))
            events.append((send + JitterBufferDriver.ms(packetMilliseconds / 2), nil))
        }
        first &+= UInt16(count)
        var results: [String] = []
        for event in events.sorted(by: { $0.time < $1.time || ($0.time == $1.time && $0.sequence != nil) }) {
            driver.now = event.time
            if let sequence = event.sequence { driver.insert(sequence) } else { results.append(driver.tick(advance: 0)) }
        }
        return results
    }

    /// A 60 ms sender: the delay is counted in time, so one packet already covers the 20 ms
    /// minimum, the jitter of its packets is measured (their timestamps step 2 880, not 960),
    /// and the target grows to the spikes in milliseconds, within the 200 ms bound.
    @Test func sixtyMillisecondPacketsAreCountedInTime() {
        let driver = JitterBufferDriver()
        driver.packetSamples = 2880
        var sequence: UInt16 = 0
        let calm = run(driver, packetMilliseconds: 60, from: &sequence, seconds: 2, spike: 0)
        #expect(driver.buffer.targetDelayMilliseconds == 60)
        #expect(calm.suffix(20).allSatisfy { $0.hasPrefix("p") })
        #expect(driver.buffer.jitterMilliseconds < 1)

        driver.now += JitterBufferDriver.ms(1000)
        driver.buffer.reset()
        let jittered = run(driver, packetMilliseconds: 60, from: &sequence, seconds: 6, spike: 100)
        #expect(driver.buffer.jitterMilliseconds > 40, "the 60 ms packets' jitter was not measured")
        #expect(driver.buffer.targetDelayMilliseconds == 180, "3 packets: the most within 200 ms")
        #expect(jittered.suffix(20).allSatisfy { $0.hasPrefix("p") })
    }

    /// A 10 ms sender: the 20 ms minimum is two of its packets, so playout waits for the
    /// second, and the delay is reported in milliseconds.
    @Test func tenMillisecondPacketsAreCountedInTime() {
        let driver = JitterBufferDriver()
        driver.packetSamples = 480
        driver.insert(500)
        #expect(driver.tick(advance: 10) == "e:buffering")
        driver.insert(501)
        #expect(driver.ticks(2) == ["p500", "p501"])
        #expect(driver.buffer.targetDelayMilliseconds == 20)
        driver.insert(502)
        driver.insert(503)
        driver.insert(504)
        #expect(driver.buffer.bufferedMilliseconds == 30)
    }

    /// A far end that changes its packet size keeps the target's time, rounded up to whole
    /// packets of the new size.
    @Test func packetSizeChangeKeepsTheDelayInTime() {
        let driver = JitterBufferDriver(.init(minimumDelayMilliseconds: 40))
        driver.packetSamples = 960
        driver.insert(1)
        #expect(driver.buffer.targetDelayMilliseconds == 40)
        driver.packetSamples = 2880
        driver.insert(2)
        #expect(driver.buffer.packetSamples == 2880)
        #expect(driver.buffer.targetDelayMilliseconds == 60)
        driver.packetSamples = 480
        driver.insert(3)
        #expect(driver.buffer.targetDelayMilliseconds == 60)
    }
}
