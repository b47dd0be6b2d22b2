/// The fixed RTP header of RFC 3550 §5.1 as softphoned sends it: version 2, no padding,
/// no extension, no CSRCs — 12 bytes.
public struct RTPHeader: Sendable, Equatable {
    public static let size = 12

    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
    }

    /// Writes the header into the first 12 bytes of `buffer`.
    /// - warning: `buffer` must hold at least `RTPHeader.size` bytes.
    @inlinable
    public func write(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size)
        buffer[0] = 0x80
        buffer[1] = (marker ? 0x80 : 0) | (payloadType & 0x7F)
        buffer.storeBytes(of: sequenceNumber.bigEndian, toByteOffset: 2, as: UInt16.self)
        buffer.storeBytes(of: timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// Parses an RTP packet's header and returns it with the payload's byte range.
    ///
    /// Handles CSRCs, a header extension and padding as RFC 3550 allows; returns `nil`
    /// for anything that is not a well-formed version-2 RTP packet.
    public static func parse(_ packet: UnsafeRawBufferPointer) -> (header: RTPHeader, payload: Range<Int>)? {
        guard packet.count >= size, packet[0] >> 6 == 2 else { return nil }
        let csrcCount = Int(packet[0] & 0x0F)
        var offset = size + 4 * csrcCount
        guard packet.count >= offset else { return nil }
        if packet[0] & 0x10 != 0 {
            guard packet.count >= offset + 4 else { return nil }
            let words = Int(packet[offset + 2]) << 8 | Int(packet[offset + 3])
            offset += 4 + 4 * words
            guard packet.count >= offset else { return nil }
        }
        var end = packet.count
        if packet[0] & 0x20 != 0 {
            let padding = Int(packet[end - 1])
            guard padding > 0, end - padding >= offset else { return nil }
            end -= padding
        }
        let header = RTPHeader(
            marker: packet[1] & 0x80 != 0,
            payloadType: packet[1] & 0x7F,
            sequenceNumber: UInt16(packet[2]) << 8 | UInt16(packet[3]),
            timestamp: UInt32(bigEndianBytes: packet, at: 4),
            ssrc: UInt32(bigEndianBytes: packet, at: 8))
        return (header, offset..<end)
    }
}

extension UInt32 {
    /// Reads a big-endian 32-bit value at `offset` (no alignment needed).
    @inlinable
    public init(bigEndianBytes buffer: UnsafeRawBufferPointer, at offset: Int) {
        self = UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16
            | UInt32(buffer[offset + 2]) << 8 | UInt32(buffer[offset + 3])
    }
}

/// RFC 3550 §5.2/RFC 5761 §4: how to tell RTCP from RTP when both share a port.
public enum RTPDemultiplexer {
    /// True when the second byte is an RTCP packet type (192–223, payload types 64–95 with the marker).
    @inlinable
    public static func isRTCP(_ packet: UnsafeRawBufferPointer) -> Bool {
        packet.count >= 2 && (192...223).contains(packet[1])
    }
}
