/// An RFC 4733 `telephone-event` payload (§2.3): one DTMF event's state as a sender reports it.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |     event     |E|R| volume    |          duration             |
/// ```
public struct TelephoneEvent: Sendable, Equatable {
    /// The event code (RFC 4733 §3.2: 0–9, `*` 10, `#` 11, A–D 12–15).
    public var event: UInt8
    /// The E bit: this packet reports the event's end (sent three times).
    public var end: Bool
    /// Power level in −dBm0, 0–63 (DTMF senders use about 10).
    public var volume: UInt8
    /// Duration so far, in units of the RTP clock, from the event's own timestamp.
    public var duration: UInt16

    public static let size = 4

    public init(event: UInt8, end: Bool, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.end = end
        self.volume = volume & 0x3F
        self.duration = duration
    }

    /// Reads the first four bytes of a payload (RFC 4733 §2.3; the R bit is ignored as the RFC
    /// asks). - Returns: nil when the payload is shorter.
    public init?(parsing payload: UnsafeRawBufferPointer) {
        guard payload.count >= Self.size else { return nil }
        event = payload[0]
        end = payload[1] & 0x80 != 0
        volume = payload[1] & 0x3F
        duration = UInt16(payload[2]) << 8 | UInt16(payload[3])
    }

    /// Writes the four payload bytes at the start of `buffer` (at least four bytes long).
    public func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer[0] = event
        buffer[1] = (end ? 0x80 : 0) | (volume & 0x3F)
        buffer[2] = UInt8(duration >> 8)
        buffer[3] = UInt8(truncatingIfNeeded: duration)
    }

    /// The event code of a DTMF digit: `0`–`9`, `*`, `#`, `A`–`D` (lower case too).
    public static func event(for digit: Character) -> UInt8? {
        switch digit {
        case "0"..."9": digit.asciiValue.map { $0 - 48 }
        case "*": 10
        case "#": 11
        case "A"..."D": digit.asciiValue.map { $0 - 65 + 12 }
        case "a"..."d": digit.asciiValue.map { $0 - 97 + 12 }
        default: nil
        }
    }

    /// The DTMF digit of an event code, or nil for codes beyond 15 (flash and other tones).
    public static func digit(for event: UInt8) -> Character? {
        switch event {
        case 0...9: Character(Unicode.Scalar(48 + event))
        case 10: "*"
        case 11: "#"
        case 12...15: Character(Unicode.Scalar(65 + event - 12))
        default: nil
        }
    }
}

/// The send side of RFC 4733 DTMF, frame by frame: which telephone-event packet (if any) goes
/// out in place of a frame's audio.
///
/// Each digit takes over the stream for its duration (audio paused, RFC 4733 §2.5.1.2, so a
/// far end never mixes the tone with speech): its first packet carries the marker, every
/// packet the event's own start timestamp and the duration so far, and the last three the E
/// bit with the final duration. Then `gap` of ordinary frames separate it from the next digit.
/// Digits wait in a fixed ring: nothing allocates after `init`.
///
/// - warning: Not thread-safe: owned by the send thread.
public final class TelephoneEventSender {
    /// A packet to send for this frame.
    public struct Packet: Sendable, Equatable {
        public var payload: TelephoneEvent
        /// The event's start timestamp (the same on every packet of one event).
        public var timestamp: UInt32
        public var marker: Bool
    }

    private struct Digit {
        var event: UInt8 = 0
        var durationMilliseconds: UInt16 = 0
        var gapMilliseconds: UInt16 = 0
    }

    private let ring: UnsafeMutablePointer<Digit>
    public let capacity: Int
    private var head = 0
    private var count = 0

    // The event being sent.
    private var sending = false
    private var current = Digit()
    private var startTimestamp: UInt32 = 0
    /// Duration reported so far, in samples of the clock.
    private var elapsed = 0
    private var endPacketsSent = 0
    /// Milliseconds of ordinary frames still owed to the gap after the last event.
    private var gapLeft = 0

    public init(capacity: Int = 128) {
        self.capacity = capacity
        ring = .allocate(capacity: capacity)
        ring.initialize(repeating: Digit(), count: capacity)
    }

    deinit { ring.deallocate() }

    /// True while an event is being sent, its gap runs, or digits wait.
    public var isBusy: Bool { sending || gapLeft > 0 || count > 0 }

    /// Queues a digit. - Returns: false when the ring is full.
    @discardableResult
    public func enqueue(event: UInt8, durationMilliseconds: Int, gapMilliseconds: Int) -> Bool {
        guard count < capacity else { return false }
        ring[(head + count) % capacity] = Digit(event: event, durationMilliseconds: UInt16(clamping: durationMilliseconds),
                                                 gapMilliseconds: UInt16(clamping: gapMilliseconds))
        count += 1
        return true
    }

    /// Forgets every queued digit and the one being sent (its end packets are not sent).
    public func clear() {
        count = 0
        sending = false
        gapLeft = 0
    }

    /// The packet for the frame about to be sent, or nil to send the frame's audio.
    /// - Parameters:
    ///   - timestamp: the RTP timestamp this frame's audio would carry (the event starts there).
    ///   - frameSamples: samples per frame at the RTP clock (160 at 8000 Hz, 960 at 48000).
    ///   - clockRate: the telephone-event clock (the audio codec's RTP clock).
    public func nextFrame(timestamp: UInt32, frameSamples: Int, clockRate: Int) -> Packet? {
        if !sending {
            if gapLeft > 0 {
                gapLeft -= AudioFormat.frameMilliseconds
                return nil
            }
            guard count > 0 else { return nil }
            current = ring[head]
            head = (head + 1) % capacity
            count -= 1
            sending = true
            startTimestamp = timestamp
            elapsed = 0
            endPacketsSent = 0
        }
        let total = min(Int(current.durationMilliseconds) * clockRate / 1000, Int(UInt16.max))
        let first = elapsed == 0
        if elapsed < total {
            elapsed = min(total, elapsed + frameSamples)
            // The last step of the event already says "end": a far end that lost the earlier
            // end packets still learns the exact duration.
            if elapsed < total {
                return Packet(payload: TelephoneEvent(event: current.event, end: false, duration: UInt16(elapsed)),
                              timestamp: startTimestamp, marker: first)
            }
        }
        endPacketsSent += 1
        if endPacketsSent == 3 {
            sending = false
            gapLeft = Int(current.gapMilliseconds)
        }
        return Packet(payload: TelephoneEvent(event: current.event, end: true, duration: UInt16(elapsed)),
                      timestamp: startTimestamp, marker: first)
    }
}

/// The receive side of RFC 4733 DTMF: one report per event, when it ends, however many
/// retransmissions and end packets arrive (§2.5.2).
///
/// Events are told apart by their timestamp. An event whose end packets were all lost is
/// reported when the next one begins, with the last duration seen.
public struct TelephoneEventReceiver: Sendable {
    /// A finished event.
    public struct Report: Sendable, Equatable {
        public var event: UInt8
        /// Its final duration, in samples of the clock.
        public var duration: Int

        public init(event: UInt8, duration: Int) {
            self.event = event
            self.duration = duration
        }
    }

    private var currentTimestamp: UInt32 = 0
    private var currentEvent: UInt8 = 0
    private var currentDuration = 0
    private var active = false
    /// The timestamp of the last event reported: its late retransmissions are ignored.
    private var reportedTimestamp: UInt32?

    public init() {}

    /// Takes one received packet. - Returns: up to two reports (a previous event that never
    /// ended, then this one if it ended), in order; `first` is nil when the second is too.
    public mutating func receive(_ payload: TelephoneEvent, timestamp: UInt32) -> (first: Report?, second: Report?) {
        if timestamp == reportedTimestamp { return (nil, nil) }
        var unfinished: Report?
        if active && timestamp != currentTimestamp {
            unfinished = Report(event: currentEvent, duration: currentDuration)
            reportedTimestamp = currentTimestamp
            active = false
        }
        if !active {
            active = true
            currentTimestamp = timestamp
            currentEvent = payload.event
            currentDuration = 0
        }
        currentDuration = max(currentDuration, Int(payload.duration))
        guard payload.end else { return (unfinished, nil) }
        active = false
        reportedTimestamp = timestamp
        let ended = Report(event: currentEvent, duration: currentDuration)
        return unfinished == nil ? (ended, nil) : (unfinished, ended)
    }
}
