import MediaCore
import Testing

@Suite("RFC 4733 telephone-event")
struct TelephoneEventTests {
    @Test("writes §2.3's layout byte for byte and reads it back")
    func layout() throws {
        var bytes = [UInt8](repeating: 0xEE, count: 4)
        bytes.withUnsafeMutableBytes { TelephoneEvent(event: 11, end: true, volume: 10, duration: 0x0320).write(to: $0) }
        #expect(bytes == [11, 0x80 | 10, 0x03, 0x20])
        let parsed = try #require(bytes.withUnsafeBytes { TelephoneEvent(parsing: $0) })
        #expect(parsed == TelephoneEvent(event: 11, end: true, volume: 10, duration: 800))
        // The R bit is ignored, as §2.3 asks; a payload under four bytes is not an event.
        let reserved: [UInt8] = [5, 0x40 | 7, 0, 160]
        #expect(reserved.withUnsafeBytes { TelephoneEvent(parsing: $0) } == TelephoneEvent(event: 5, end: false, volume: 7, duration: 160))
        #expect([UInt8]([1, 2, 3]).withUnsafeBytes { TelephoneEvent(parsing: $0) } == nil)
    }

    @Test("digits map to §3.2's event codes and back")
    func digits() {
        let all = Array("0123456789*#ABCD")
        #expect(all.compactMap { TelephoneEvent.event(for: $0) } == Array(0...15))
        #expect((0...15).compactMap { TelephoneEvent.digit(for: UInt8($0)) } == all)
        #expect(TelephoneEvent.event(for: "b") == 13)
        #expect(TelephoneEvent.event(for: "E") == nil)
        #expect(TelephoneEvent.digit(for: 16) == nil)
    }

    @Test("a request's digits and duration are checked")
    func requestDigits() throws {
        let request = try DTMFDigits("12*#AD", durationMs: nil)
        #expect(request.events == [1, 2, 10, 11, 12, 15])
        #expect(request.durationMilliseconds == 100)
        #expect(throws: DTMFDigitsError.self) { try DTMFDigits("12x", durationMs: nil) }
        #expect(throws: DTMFDigitsError.self) { try DTMFDigits("", durationMs: nil) }
        #expect(throws: DTMFDigitsError.self) { try DTMFDigits("1", durationMs: 39) }
        #expect(throws: DTMFDigitsError.self) { try DTMFDigits("1", durationMs: 2001) }
        #expect(throws: DTMFDigitsError.self) { try DTMFDigits(String(repeating: "1", count: 65), durationMs: nil) }
    }

    /// Runs the sender for `frames` frames from timestamp 1000, 160 units a frame at 8 kHz.
    static func run(_ sender: TelephoneEventSender, frames: Int, step: Int = 160, clock: Int = 8000) -> [TelephoneEventSender.Packet?] {
        var timestamp: UInt32 = 1000
        var out: [TelephoneEventSender.Packet?] = []
        for _ in 0..<frames {
            out.append(sender.nextFrame(timestamp: timestamp, frameSamples: step, clockRate: clock))
            timestamp &+= UInt32(step)
        }
        return out
    }

    @Test("one digit: marker first, the start timestamp held, the duration growing, three end packets with the exact duration")
    func sendsOneDigit() {
        let sender = TelephoneEventSender()
        sender.enqueue(event: 5, durationMilliseconds: 100, gapMilliseconds: 70)
        let packets = Self.run(sender, frames: 11)
        let sent = packets.prefix(7).compactMap { $0 }
        #expect(sent.count == 7)
        #expect(sent.map(\.marker) == [true, false, false, false, false, false, false])
        #expect(sent.allSatisfy { $0.timestamp == 1000 && $0.payload.event == 5 })
        #expect(sent.map(\.payload.duration) == [160, 320, 480, 640, 800, 800, 800])
        #expect(sent.map(\.payload.end) == [false, false, false, false, true, true, true])
        #expect(packets[7...].allSatisfy { $0 == nil }, "audio after the event")
        #expect(!sender.isBusy, "the 70 ms gap has run out")
    }

    @Test("a duration that is not a whole number of frames ends at exactly that duration; Opus's 48 kHz clock")
    func sendsOddDuration() {
        let sender = TelephoneEventSender()
        sender.enqueue(event: 1, durationMilliseconds: 50, gapMilliseconds: 70)
        let sent = Self.run(sender, frames: 6, step: 960, clock: 48000).compactMap { $0 }
        #expect(sent.map(\.payload.duration) == [960, 1920, 2400, 2400, 2400])
        #expect(sent.map(\.payload.end) == [false, false, true, true, true])
    }

    @Test("digits are separated by the gap, each a new event with its own timestamp")
    func sendsGapBetweenDigits() throws {
        let sender = TelephoneEventSender()
        sender.enqueue(event: 1, durationMilliseconds: 40, gapMilliseconds: 70)
        sender.enqueue(event: 2, durationMilliseconds: 40, gapMilliseconds: 70)
        let packets = Self.run(sender, frames: 14)
        // Digit 1: 2 frames of duration (the second already the end) + 2 more end packets.
        #expect(packets[0..<4].allSatisfy { $0?.payload.event == 1 })
        // 70 ms of gap: four frames of audio.
        #expect(packets[4..<8].allSatisfy { $0 == nil })
        let second = try #require(packets[8])
        #expect(second.payload.event == 2 && second.marker)
        #expect(second.timestamp == UInt32(1000 + 8 * 160))
    }

    @Test("a full ring refuses, and clear forgets")
    func ringBounds() {
        let sender = TelephoneEventSender(capacity: 2)
        #expect(sender.enqueue(event: 1, durationMilliseconds: 40, gapMilliseconds: 0))
        #expect(sender.enqueue(event: 2, durationMilliseconds: 40, gapMilliseconds: 0))
        #expect(!sender.enqueue(event: 3, durationMilliseconds: 40, gapMilliseconds: 0))
        sender.clear()
        #expect(!sender.isBusy)
        #expect(Self.run(sender, frames: 3).allSatisfy { $0 == nil })
    }

    @Test("the receiver reports each event once, at its end, with its final duration, whatever repeats")
    func receivesOncePerEvent() {
        var receiver = TelephoneEventReceiver()
        var reports: [TelephoneEventReceiver.Report] = []
        func feed(_ event: UInt8, _ end: Bool, _ duration: UInt16, at timestamp: UInt32) {
            let (first, second) = receiver.receive(TelephoneEvent(event: event, end: end, duration: duration), timestamp: timestamp)
            reports += [first, second].compactMap { $0 }
        }
        for duration in [160, 320, 480, 320] as [UInt16] { feed(7, false, duration, at: 100) }   // one reordered
        #expect(reports.isEmpty)
        for _ in 0..<3 { feed(7, true, 800, at: 100) }
        feed(7, false, 480, at: 100)   // a late retransmission after the end
        #expect(reports == [.init(event: 7, duration: 800)])
        // The next event's end packets all lost: reported when the one after begins.
        feed(8, false, 160, at: 2000)
        feed(8, false, 320, at: 2000)
        feed(9, false, 160, at: 4000)
        feed(9, true, 400, at: 4000)
        #expect(reports == [.init(event: 7, duration: 800), .init(event: 8, duration: 320), .init(event: 9, duration: 400)])
    }
}
