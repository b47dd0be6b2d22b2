/// Reception statistics for one RTP source, as RFC 3550 Appendix A keeps them: source
/// validation and sequence tracking (A.1), loss (A.3) and interarrival jitter (A.8).
public struct ReceptionStatistics: Sendable, Equatable {
    static let maximumDropout: UInt16 = 3000
    static let maximumMisorder: UInt16 = 100
    static let sequenceModulus: UInt32 = 1 << 16

    /// RTP clock rate, for jitter in milliseconds and arrival times in timestamp units.
    public let clockRate: Int
    /// Packets in sequence needed before a new source counts (A.1's MIN_SEQUENTIAL).
    public let minimumSequential: Int

    private var started = false
    private var probation = 0
    private var maxSequence: UInt16 = 0
    /// Shifted count of sequence number cycles.
    private var cycles: UInt32 = 0
    private var baseSequence: UInt32 = 0
    private var badSequence: UInt32 = 0
    /// Packets counted (valid, including duplicates, as A.1 does).
    public private(set) var received: UInt32 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0
    private var lastTransit: Int32 = 0
    private var haveTransit = false
    /// Interarrival jitter in timestamp units (A.8's J, unscaled).
    public private(set) var jitter: Double = 0

    public init(clockRate: Int = 48000, minimumSequential: Int = 2) {
        self.clockRate = clockRate
        self.minimumSequential = minimumSequential
    }

    /// Whether the source has passed probation.
    public var isValid: Bool { started && probation == 0 }

    /// Cycles in the upper 16 bits, highest sequence number seen in the lower.
    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSequence) }

    /// Packets expected from the first counted one to the highest.
    public var expected: UInt32 { isValid ? extendedHighestSequence &- baseSequence &+ 1 : 0 }

    /// Packets lost since the start, clamped to the 24-bit signed range of a report block.
    public var cumulativeLost: Int32 {
        let lost = Int64(expected) - Int64(received)
        return Int32(min(max(lost, -0x80_0000), 0x7F_FFFF))
    }

    /// Jitter in milliseconds.
    public var jitterMilliseconds: Double { jitter * 1000 / Double(clockRate) }

    /// Counts one arrived packet.
    /// - Parameters:
    ///   - sequenceNumber: its RTP sequence number.
    ///   - timestamp: its RTP timestamp.
    ///   - arrival: its arrival time in nanoseconds on any steady clock.
    /// - Returns: false while the source is on probation or when the packet looks like a
    ///   stray from another sequence space (not counted), true otherwise.
    @discardableResult
    public mutating func update(sequenceNumber: UInt16, timestamp: UInt32, arrival: UInt64) -> Bool {
        guard updateSequence(sequenceNumber) else { return false }
        // A.8: transit time in timestamp units, with wrapping 32-bit arithmetic throughout.
        let arrivalUnits = UInt32(truncatingIfNeeded: arrival / 1000 * UInt64(clockRate) / 1_000_000)
        let transit = Int32(bitPattern: arrivalUnits &- timestamp)
        if haveTransit {
            let difference = Double(abs(Int64(transit) - Int64(lastTransit)))
            jitter += (difference - jitter) / 16
        }
        lastTransit = transit
        haveTransit = true
        return true
    }

    private mutating func initSequence(_ sequence: UInt16) {
        baseSequence = UInt32(sequence)
        maxSequence = sequence
        badSequence = Self.sequenceModulus + 1
        cycles = 0
        received = 0
        receivedPrior = 0
        expectedPrior = 0
    }

    /// RFC 3550 A.1 `update_seq`.
    private mutating func updateSequence(_ sequence: UInt16) -> Bool {
        if !started {
            started = true
            initSequence(sequence)
            if minimumSequential <= 1 {
                received = 1
                return true
            }
            maxSequence = sequence &- 1
            probation = minimumSequential
        }
        let delta = sequence &- maxSequence
        if probation > 0 {
            if sequence == maxSequence &+ 1 {
                probation -= 1
                maxSequence = sequence
                if probation == 0 {
                    initSequence(sequence)
                    received += 1
                    return true
                }
            } else {
                probation = minimumSequential - 1
                maxSequence = sequence
            }
            return false
        } else if delta < Self.maximumDropout {
            if sequence < maxSequence { cycles &+= Self.sequenceModulus }
            maxSequence = sequence
        } else if UInt32(delta) <= Self.sequenceModulus - UInt32(Self.maximumMisorder) {
            if UInt32(sequence) == badSequence {
                // Two sequential packets after a big jump: the source restarted.
                initSequence(sequence)
                haveTransit = false
            } else {
                badSequence = (UInt32(sequence) + 1) & (Self.sequenceModulus - 1)
                return false
            }
        }
        // Otherwise a duplicate or reordered packet: counted, as A.1 does.
        received &+= 1
        return true
    }

    /// What a report block is made of, as plain numbers another thread can be handed
    /// (the receive thread counts, the send thread reports).
    public struct Totals: Sendable, Equatable {
        public var expected: UInt32 = 0
        public var received: UInt32 = 0
        public var extendedHighestSequence: UInt32 = 0
        /// Interarrival jitter in timestamp units.
        public var jitter: UInt32 = 0
        public init() {}
        public init(expected: UInt32, received: UInt32, extendedHighestSequence: UInt32, jitter: UInt32) {
            self.expected = expected
            self.received = received
            self.extendedHighestSequence = extendedHighestSequence
            self.jitter = jitter
        }
    }

    /// The counts as of now.
    public var totals: Totals {
        Totals(expected: expected, received: isValid ? received : 0,
               extendedHighestSequence: isValid ? extendedHighestSequence : 0, jitter: UInt32(jitter))
    }

    /// A.3's report block from `totals`, closing the interval that started at `prior`
    /// (which becomes `totals`).
    public static func reportBlock(_ totals: Totals, since prior: inout Totals, ssrc: UInt32, lastSenderReport: UInt32 = 0,
                                   delaySinceLastSenderReport: UInt32 = 0) -> RTCPReportBlock {
        let expectedInterval = totals.expected &- prior.expected
        let receivedInterval = totals.received &- prior.received
        prior = totals
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction: UInt8 = expectedInterval == 0 || lostInterval <= 0
            ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        let lost = Int64(totals.expected) - Int64(totals.received)
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: Int32(min(max(lost, -0x80_0000), 0x7F_FFFF)),
            extendedHighestSequence: totals.extendedHighestSequence, jitter: totals.jitter,
            lastSenderReport: lastSenderReport, delaySinceLastSenderReport: delaySinceLastSenderReport)
    }

    /// The report block for this source, closing the current reporting interval (A.3).
    /// - Parameters:
    ///   - ssrc: the source's SSRC.
    ///   - lastSenderReport: middle 32 bits of the NTP time in its last SR, 0 if none.
    ///   - delaySinceLastSenderReport: time since that SR arrived, in 1/65536 s
    ///     (`RTCPReportBlock.delay(nanoseconds:)`).
    public mutating func makeReportBlock(ssrc: UInt32, lastSenderReport: UInt32 = 0,
                                         delaySinceLastSenderReport: UInt32 = 0) -> RTCPReportBlock {
        var prior = Totals(expected: expectedPrior, received: receivedPrior, extendedHighestSequence: 0, jitter: 0)
        let block = Self.reportBlock(totals, since: &prior, ssrc: ssrc, lastSenderReport: lastSenderReport,
                                     delaySinceLastSenderReport: delaySinceLastSenderReport)
        expectedPrior = prior.expected
        receivedPrior = prior.received
        return block
    }
}
