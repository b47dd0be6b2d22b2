/// A receive jitter buffer for audio packets: reorders by RTP sequence number, drops
/// duplicates and late packets, reports losses with a look-ahead packet for FEC, and adapts
/// its target delay to the measured interarrival jitter.
///
/// Delays are time, not packet counts: each packet says how much audio it carries (Opus:
/// 2.5 to 120 ms, `OpusPacketDuration`), and the target, the bounds and the buffered depth
/// are that many milliseconds whatever the far end's packet size. The stream's packet
/// duration is the latest packet's; the target is always a whole number of packets.
///
/// The delay grows when the network asks for it: playout re-buffers to the target after an
/// underrun or at a talkspurt, and waits (concealing) for an overdue packet while
/// the buffered depth is below target. It shrinks by dropping one packet per second while
/// the depth has stayed above target for that whole second.
///
/// Memory is allocated once in `init`; `insert` and `nextFrame` allocate nothing, so the
/// receive path can run on the media thread.
///
/// Playout follows sequence numbers, one packet per call of `nextFrame`. A timestamp gap between two
/// consecutive sequence numbers (DTX, or a far end that stopped sending while muted) is
/// therefore not a loss: the silence is simply not replayed. A marker bit on a packet that
/// finds the buffer empty starts a new talkspurt: playout re-buffers to the target delay
/// from there.
///
/// - warning: Not thread-safe: use one buffer from one thread.
public final class JitterBuffer {
    /// Sizes and limits, fixed for the buffer's life.
    public struct Configuration: Sendable, Equatable {
        /// Number of packet slots (64 × 20 ms = 1.28 s; for 2.5 ms packets 160 ms, which
        /// then also caps the target delay at 63 packets, 157.5 ms).
        public var slotCount: Int
        /// Largest payload a slot holds, in bytes.
        public var maximumPayloadSize: Int
        /// RTP clock rate (Opus: always 48 000).
        public var clockRate: Int
        /// Milliseconds of audio per packet until a packet says otherwise.
        public var frameMilliseconds: Int
        /// Bounds of the adaptive target delay.
        public var minimumDelayMilliseconds: Int
        public var maximumDelayMilliseconds: Int

        public init(slotCount: Int = 64, maximumPayloadSize: Int = 1500, clockRate: Int = 48000, frameMilliseconds: Int = 20,
                    minimumDelayMilliseconds: Int = 20, maximumDelayMilliseconds: Int = 200) {
            self.slotCount = slotCount
            self.maximumPayloadSize = maximumPayloadSize
            self.clockRate = clockRate
            self.frameMilliseconds = frameMilliseconds
            self.minimumDelayMilliseconds = minimumDelayMilliseconds
            self.maximumDelayMilliseconds = maximumDelayMilliseconds
        }
    }

    /// Running totals since `init` (not cleared by `reset()`).
    public struct Counters: Sendable, Equatable {
        public var received = 0
        public var played = 0
        /// Ticks whose packet was missing while later ones were buffered.
        public var lost = 0
        public var duplicates = 0
        public var late = 0
        public var tooLarge = 0
        /// Restarts forced by a sequence number jump beyond the buffer's reach.
        public var resyncs = 0
        /// Packets' turns that found the buffer empty while playing.
        public var underruns = 0
        /// Packets' turns spent waiting for an overdue packet (the receive loop fills the rest
        /// of its 20 ms tick), each adding that much delay.
        public var stretched = 0
        /// Packets dropped to bring a grown delay back down to the target.
        public var droppedForLatency = 0
        public init() {}
    }

    private struct Slot {
        /// The extended sequence number held, or -1 when the slot is free.
        var sequence: Int64 = -1
        var timestamp: UInt32 = 0
        var marker = false
        var length = 0
        /// Samples at the clock rate the packet carries.
        var samples: Int64 = 0
    }

    private enum State { case idle, buffering, playing }

    public let configuration: Configuration
    public private(set) var counters = Counters()

    private let slots: UnsafeMutablePointer<Slot>
    private let storage: UnsafeMutableRawPointer
    /// The configured delay bounds, in samples at the clock rate.
    private let minimumDelay: Int64
    private let maximumDelay: Int64
    private let samplesPerMillisecond: Double
    /// Samples in the stream's packets: the latest packet's duration.
    public private(set) var packetSamples: Int64

    private var state = State.idle
    /// Extended sequence number of the next packet to play.
    private var nextSequence: Int64 = 0
    /// Highest extended sequence number seen: the reference for extending the next one.
    private var highestSequence: Int64 = 0
    /// Highest extended sequence number currently buffered (meaningful when `bufferedCount > 0`).
    private var highestBuffered: Int64 = 0
    private var bufferedCount = 0
    /// False until the first packet plays after a (re)start: until then an earlier packet may
    /// still move the playout start back.
    private var playedSinceStart = false
    /// A very old sequence number whose successor, if it comes next, means the far end restarted.
    private var restartCandidate: UInt16?

    // Jitter estimate (RFC 3550 A.8, in milliseconds) and the target it drives.
    private var lastArrival: UInt64 = 0
    private var lastTimestamp: UInt32 = 0
    private var lastSequence: Int64 = 0
    private var haveTransit = false
    private var jitter: Double = 0
    /// The delay playout aims for, in samples: a whole number of packets.
    private var targetDelay: Int64
    private var lastTargetChange: UInt64 = 0

    // Latency shrinking: the smallest depth (in packets) seen over a window of playout.
    private var windowMinimumDepth = Int.max
    private var windowSamples: Int64 = 0

    /// Milliseconds of playout over which the depth must stay above target before a packet is dropped.
    static let shrinkWindowMilliseconds: Int64 = 1000
    /// The target comes down by one packet at most this often.
    static let targetDecreaseInterval: UInt64 = 1_000_000_000
    /// Margin over the jitter estimate: delay spikes reach about three mean deviations.
    static let jitterSafetyFactor = 3.0

    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.slotCount >= 4 && configuration.maximumPayloadSize > 0 && configuration.frameMilliseconds > 0
                     && configuration.clockRate >= 1000)
        self.configuration = configuration
        slots = .allocate(capacity: configuration.slotCount)
        slots.initialize(repeating: Slot(), count: configuration.slotCount)
        storage = .allocate(byteCount: configuration.slotCount * configuration.maximumPayloadSize, alignment: 16)
        let perMillisecond = Int64(configuration.clockRate) / 1000
        minimumDelay = Int64(max(0, configuration.minimumDelayMilliseconds)) * perMillisecond
        maximumDelay = Int64(max(0, configuration.maximumDelayMilliseconds)) * perMillisecond
        samplesPerMillisecond = Double(configuration.clockRate) / 1000
        packetSamples = max(1, Int64(configuration.frameMilliseconds) * perMillisecond)
        targetDelay = 0
        targetDelay = Int64(minimumPackets) * packetSamples
    }

    deinit {
        slots.deinitialize(count: configuration.slotCount)
        slots.deallocate()
        storage.deallocate()
    }

    // MARK: - State

    /// The delay playout aims for, in milliseconds.
    public var targetDelayMilliseconds: Int { Int(targetDelay / Int64(samplesPerMillisecond)) }

    /// Audio buffered from the playout point to the newest packet, in milliseconds.
    public var bufferedMilliseconds: Int { Int(Int64(depth) * packetSamples / Int64(samplesPerMillisecond)) }

    /// The target in packets of the stream's current duration (rounded up).
    private var targetPackets: Int { Int((targetDelay + packetSamples - 1) / packetSamples) }

    /// The fewest packets that cover the minimum delay (at least one).
    private var minimumPackets: Int { max(1, Int((minimumDelay + packetSamples - 1) / packetSamples)) }

    /// The most packets within the maximum delay that the slots can hold.
    private var maximumPackets: Int {
        max(minimumPackets, min(configuration.slotCount - 1, Int(maximumDelay / packetSamples)))
    }

    /// The interarrival jitter estimate driving the target, in milliseconds.
    public var jitterMilliseconds: Double { jitter }

    /// Packets currently held.
    public var bufferedPackets: Int { bufferedCount }

    private var depth: Int { bufferedCount == 0 ? 0 : Int(highestBuffered - nextSequence + 1) }

    /// Forgets every packet and the sequence state (new SSRC, new call). The jitter
    /// estimate and target are kept: the network has not changed.
    public func reset() {
        clearSlots()
        state = .idle
        haveTransit = false
        restartCandidate = nil
    }

    // MARK: - Receiving

    /// Stores a packet's payload.
    /// - Parameters:
    ///   - sequenceNumber: the RTP sequence number.
    ///   - timestamp: the RTP timestamp.
    ///   - marker: the RTP marker bit (first packet of a talkspurt).
    ///   - payload: the decrypted payload; copied.
    ///   - samples: the audio it carries, in samples at the clock rate (nil: the configured
    ///     `frameMilliseconds`).
    ///   - arrival: monotonic arrival time in nanoseconds.
    @discardableResult
    public func insert(sequenceNumber: UInt16, timestamp: UInt32, marker: Bool, payload: UnsafeRawBufferPointer,
                       samples: Int? = nil, arrival: UInt64) -> JitterBufferInsertResult {
        counters.received += 1
        guard payload.count <= configuration.maximumPayloadSize else {
            counters.tooLarge += 1
            return .tooLarge
        }
        // At least one sample, at most a second: the delay arithmetic stays far from overflow.
        let samples = Int64(min(max(1, samples ?? configuration.frameMilliseconds * configuration.clockRate / 1000), configuration.clockRate))
        if state == .idle {
            start(at: Int64(sequenceNumber) + (1 << 32))
            updateJitter(sequence: highestSequence, timestamp: timestamp, marker: true, arrival: arrival)
            store(highestSequence, timestamp: timestamp, marker: marker, payload: payload, samples: samples)
            return .stored
        }

        let delta = Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: highestSequence)))
        let sequence = highestSequence + delta
        let slotCount = Int64(configuration.slotCount)

        if sequence < nextSequence {
            let canMoveStartBack = !playedSinceStart && nextSequence - sequence < slotCount
                && (bufferedCount == 0 || highestBuffered - sequence < slotCount)
            if canMoveStartBack {
                nextSequence = sequence
            } else if nextSequence - sequence > slotCount {
                // Far behind: a stray, or the far end restarted its sequence numbers. Two in a
                // row confirm a restart (the same rule as RFC 3550 A.1's bad_seq).
                if restartCandidate == sequenceNumber {
                    resynchronise(at: sequence, timestamp: timestamp, marker: marker, payload: payload, samples: samples, arrival: arrival)
                    return .resynchronised
                }
                restartCandidate = sequenceNumber &+ 1
                counters.late += 1
                return .late
            } else {
                counters.late += 1
                updateJitter(sequence: sequence, timestamp: timestamp, marker: marker, arrival: arrival)
                return .late
            }
        } else if sequence >= nextSequence + slotCount {
            resynchronise(at: sequence, timestamp: timestamp, marker: marker, payload: payload, samples: samples, arrival: arrival)
            return .resynchronised
        }
        restartCandidate = nil

        if slots[slotIndex(sequence)].sequence == sequence {
            counters.duplicates += 1
            return .duplicate
        }
        if marker && bufferedCount == 0 && playedSinceStart {
            // A new talkspurt after silence: restart playout here at the target delay. Sequence
            // numbers skipped before a marker are not losses; nothing was said in between.
            nextSequence = sequence
            state = .buffering
        }
        updateJitter(sequence: sequence, timestamp: timestamp, marker: marker, arrival: arrival)
        highestSequence = max(highestSequence, sequence)
        store(sequence, timestamp: timestamp, marker: marker, payload: payload, samples: samples)
        return .stored
    }

    private func start(at sequence: Int64) {
        clearSlots()
        state = .buffering
        nextSequence = sequence
        highestSequence = sequence
        playedSinceStart = false
        restartCandidate = nil
    }

    private func resynchronise(at sequence: Int64, timestamp: UInt32, marker: Bool, payload: UnsafeRawBufferPointer, samples: Int64,
                               arrival: UInt64) {
        counters.resyncs += 1
        start(at: sequence)
        haveTransit = false
        updateJitter(sequence: sequence, timestamp: timestamp, marker: true, arrival: arrival)
        store(sequence, timestamp: timestamp, marker: marker, payload: payload, samples: samples)
    }

    private func slotIndex(_ sequence: Int64) -> Int { Int(sequence % Int64(configuration.slotCount)) }

    private func store(_ sequence: Int64, timestamp: UInt32, marker: Bool, payload: UnsafeRawBufferPointer, samples: Int64) {
        let index = slotIndex(sequence)
        let destination = storage + index * configuration.maximumPayloadSize
        if let base = payload.baseAddress, payload.count > 0 {
            destination.copyMemory(from: base, byteCount: payload.count)
        }
        slots[index] = Slot(sequence: sequence, timestamp: timestamp, marker: marker, length: payload.count, samples: samples)
        if sequence >= highestSequence && samples != packetSamples {
            // The far end changed its packet size: the target keeps its time, rounded up to
            // whole packets of the new size (and comes down from there as usual).
            packetSamples = samples
            targetDelay = Int64(min(maximumPackets, max(minimumPackets, targetPackets))) * packetSamples
        }
        if bufferedCount == 0 || sequence > highestBuffered { highestBuffered = sequence }
        bufferedCount += 1
    }

    private func clearSlots() {
        for i in 0..<configuration.slotCount { slots[i].sequence = -1 }
        bufferedCount = 0
    }

    /// RFC 3550 A.8 on arrival times, in milliseconds. A talkspurt start or a timestamp jump
    /// (DTX, a far end muted in `disable` mode) only re-anchors the transit time: a sender
    /// whose clock paused must not look like a jitter spike.
    private func updateJitter(sequence: Int64, timestamp: UInt32, marker: Bool, arrival: UInt64) {
        defer {
            lastArrival = arrival
            lastTimestamp = timestamp
            lastSequence = sequence
            haveTransit = true
        }
        guard haveTransit, !marker else { return }
        let timestampStep = Int64(Int32(bitPattern: timestamp &- lastTimestamp))
        let expectedStep = (sequence - lastSequence) * packetSamples
        guard abs(timestampStep - expectedStep) <= packetSamples / 2 else { return }
        let arrivalDelta = Double(Int64(bitPattern: arrival &- lastArrival)) / 1_000_000
        let timestampDelta = Double(timestampStep) / samplesPerMillisecond
        jitter += (abs(arrivalDelta - timestampDelta) - jitter) / 16
        adaptTarget(now: arrival)
    }

    /// The target the jitter estimate asks for, in packets: one packet's time plus the
    /// jitter margin.
    private var wantedPackets: Int {
        let packet = Double(packetSamples) / samplesPerMillisecond
        let wanted = (packet + Self.jitterSafetyFactor * jitter) / packet
        // A quarter packet of slack before asking for one more packet.
        return min(maximumPackets, max(minimumPackets, Int((wanted - 0.25).rounded(.up))))
    }

    /// Rises at once when the jitter estimate (itself smoothed) calls for more delay.
    private func adaptTarget(now: UInt64) {
        let packets = wantedPackets
        if packets > targetPackets {
            targetDelay = Int64(packets) * packetSamples
            lastTargetChange = now
        }
    }

    /// Comes down one packet at a time, at most once per `targetDecreaseInterval`.
    private func relaxTarget(now: UInt64) {
        let packets = targetPackets
        guard packets > minimumPackets, now &- lastTargetChange >= Self.targetDecreaseInterval,
              wantedPackets < packets else { return }
        targetDelay = Int64(packets - 1) * packetSamples
        lastTargetChange = now
    }

    // MARK: - Playout

    /// The next packet to play; call once per packet's worth of playout (once per 20 ms tick
    /// for 20 ms packets, twice for 10 ms ones, every third tick for 60 ms ones).
    /// - Parameter now: monotonic time in nanoseconds, on the same clock as `insert`'s arrival.
    public func nextFrame(now: UInt64) -> JitterBufferFrame {
        relaxTarget(now: now)
        switch state {
        case .idle:
            return .empty(.idle)
        case .buffering:
            guard bufferedCount > 0, depth >= targetPackets else { return .empty(.buffering) }
            state = .playing
            windowMinimumDepth = Int.max
            windowSamples = 0
        case .playing:
            guard bufferedCount > 0 else {
                counters.underruns += 1
                state = .buffering
                return .empty(.underrun)
            }
        }
        shrinkIfLagging()
        playedSinceStart = true

        let index = slotIndex(nextSequence)
        if slots[index].sequence == nextSequence {
            counters.played += 1
            return .packet(take(index))
        }
        if depth < targetPackets {
            // Below target: wait a tick for the overdue packet rather than give it up. The
            // frame is concealed either way, so waiting costs no extra artefact and builds the
            // delay up towards the target exactly when the network shows it is needed.
            counters.stretched += 1
            return .empty(.waiting)
        }
        counters.lost += 1
        let lostSequence = UInt16(truncatingIfNeeded: nextSequence)
        nextSequence += 1
        let following = slotIndex(nextSequence)
        let next = slots[following].sequence == nextSequence ? packet(at: following) : nil
        return .lost(sequenceNumber: lostSequence, next: next)
    }

    /// Drops the oldest packet when the depth stayed above target for a whole window, so a
    /// delay built up by a past jitter spike drains once the network has calmed down.
    private func shrinkIfLagging() {
        windowMinimumDepth = min(windowMinimumDepth, depth)
        windowSamples += packetSamples
        guard windowSamples >= Self.shrinkWindowMilliseconds * Int64(samplesPerMillisecond) else { return }
        defer {
            windowMinimumDepth = Int.max
            windowSamples = 0
        }
        let index = slotIndex(nextSequence)
        guard windowMinimumDepth > targetPackets, bufferedCount > 1, slots[index].sequence == nextSequence else { return }
        _ = take(index)
        counters.droppedForLatency += 1
    }

    private func packet(at index: Int) -> JitterBufferPacket {
        let slot = slots[index]
        return JitterBufferPacket(
            payload: UnsafeRawBufferPointer(start: storage + index * configuration.maximumPayloadSize, count: slot.length),
            sequenceNumber: UInt16(truncatingIfNeeded: slot.sequence), timestamp: slot.timestamp, marker: slot.marker)
    }

    /// Hands out the packet at `nextSequence` and moves past it. Its bytes stay in place
    /// until the slot is reused, which cannot happen before the next `insert`.
    private func take(_ index: Int) -> JitterBufferPacket {
        let result = packet(at: index)
        slots[index].sequence = -1
        bufferedCount -= 1
        nextSequence += 1
        return result
    }
}
