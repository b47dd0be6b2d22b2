/// An RTCP reception report block (RFC 3550 §6.4.1), 24 bytes on the wire.
public struct RTCPReportBlock: Sendable, Equatable {
    public static let size = 24

    /// The source this block reports on.
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Packets lost since the start, a 24-bit signed value (duplicates can make it negative).
    public var cumulativeLost: Int32
    /// Cycles of sequence numbers in the upper 16 bits, highest sequence number in the lower.
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// The middle 32 bits of the NTP time of the last SR received from the source, 0 if none.
    public var lastSenderReport: UInt32
    /// Time since that SR was received, in 1/65536 s; 0 if none.
    public var delaySinceLastSenderReport: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32, jitter: UInt32,
                lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Writes the block into the first 24 bytes of `buffer`.
    /// - Returns: 24, or 0 when the buffer is too small.
    @discardableResult
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard buffer.count >= Self.size else { return 0 }
        buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 0, as: UInt32.self)
        let lost = UInt32(bitPattern: cumulativeLost) & 0xFF_FFFF
        buffer.storeBytes(of: (UInt32(fractionLost) << 24 | lost).bigEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: extendedHighestSequence.bigEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: jitter.bigEndian, toByteOffset: 12, as: UInt32.self)
        buffer.storeBytes(of: lastSenderReport.bigEndian, toByteOffset: 16, as: UInt32.self)
        buffer.storeBytes(of: delaySinceLastSenderReport.bigEndian, toByteOffset: 20, as: UInt32.self)
        return Self.size
    }

    /// Reads a block from the first 24 bytes of `bytes`; nil when there are fewer.
    public init?(parsing bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size else { return nil }
        ssrc = UInt32(bigEndianBytes: bytes, at: 0)
        let word = UInt32(bigEndianBytes: bytes, at: 4)
        fractionLost = UInt8(word >> 24)
        // Sign-extend the 24-bit field.
        cumulativeLost = Int32(bitPattern: word << 8) >> 8
        extendedHighestSequence = UInt32(bigEndianBytes: bytes, at: 8)
        jitter = UInt32(bigEndianBytes: bytes, at: 12)
        lastSenderReport = UInt32(bigEndianBytes: bytes, at: 16)
        delaySinceLastSenderReport = UInt32(bigEndianBytes: bytes, at: 20)
    }

    /// The fraction lost as a number from 0 to 1.
    public var fractionLostRatio: Double { Double(fractionLost) / 256 }

    /// Round-trip time per RFC 3550 §6.4.1: arrival − LSR − DLSR.
    /// - Parameter arrival: when this block arrived, as NTP middle 32 bits
    ///   (`RTCPPacket.NTPTime.middle32`).
    /// - Returns: seconds, or nil when the far end has not received an SR from us yet
    ///   (LSR 0) or the result is negative (clock trouble).
    public func roundTripTime(arrival: UInt32) -> Double? {
        guard lastSenderReport != 0 else { return nil }
        let units = Int32(bitPattern: arrival &- lastSenderReport &- delaySinceLastSenderReport)
        guard units >= 0 else { return nil }
        return Double(units) / 65536
    }

    /// A DLSR value for `nanoseconds` elapsed since the last SR arrived.
    public static func delay(nanoseconds: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: nanoseconds * 65536 / 1_000_000_000)
    }
}
