/// Writers and a reader for the RTCP packets softphoned exchanges (RFC 3550 §6):
/// Sender Report, Receiver Report, SDES CNAME and BYE, sent as compound packets.
///
/// Writers fill a caller-owned buffer and return the number of bytes written, so the
/// media thread can build reports without allocating.
public enum RTCPPacket {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let goodbye: UInt8 = 203

    /// An NTP timestamp (RFC 3550 §4): seconds since 1900 and a 32-bit fraction.
    public struct NTPTime: Sendable, Equatable {
        public var seconds: UInt32
        public var fraction: UInt32
        public init(seconds: UInt32, fraction: UInt32) {
            self.seconds = seconds
            self.fraction = fraction
        }
        /// From Unix time in nanoseconds.
        public init(unixNanoseconds: UInt64) {
            let secs = unixNanoseconds / 1_000_000_000
            let nanos = unixNanoseconds % 1_000_000_000
            seconds = UInt32(truncatingIfNeeded: secs + 2_208_988_800)
            fraction = UInt32(truncatingIfNeeded: (nanos << 32) / 1_000_000_000)
        }
        /// The middle 32 bits, as carried in LSR fields.
        public var middle32: UInt32 { seconds << 16 | fraction >> 16 }
    }

    /// The sender information block of an SR.
    public struct SenderInfo: Sendable, Equatable {
        public var ntp: NTPTime
        public var rtpTimestamp: UInt32
        public var packetCount: UInt32
        public var octetCount: UInt32
        public init(ntp: NTPTime, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32) {
            self.ntp = ntp
            self.rtpTimestamp = rtpTimestamp
            self.packetCount = packetCount
            self.octetCount = octetCount
        }
    }

    /// Writes an SR (or an RR when `sender` is nil) carrying `blockCount` report blocks that
    /// the caller has already serialised (24 bytes each) in `reportBlocks`.
    /// - Returns: bytes written, or 0 when the buffer is too small.
    public static func writeReport(
        into buffer: UnsafeMutableRawBufferPointer, ssrc: UInt32, sender: SenderInfo?,
        reportBlocks: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) -> Int {
        let blockCount = reportBlocks.count / 24
        let length = 8 + (sender == nil ? 0 : 20) + 24 * blockCount
        guard buffer.count >= length, blockCount < 32 else { return 0 }
        writeCommonHeader(into: buffer, count: blockCount, type: sender == nil ? receiverReport : senderReport, length: length)
        buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 4, as: UInt32.self)
        var offset = 8
        if let sender {
            buffer.storeBytes(of: sender.ntp.seconds.bigEndian, toByteOffset: 8, as: UInt32.self)
            buffer.storeBytes(of: sender.ntp.fraction.bigEndian, toByteOffset: 12, as: UInt32.self)
            buffer.storeBytes(of: sender.rtpTimestamp.bigEndian, toByteOffset: 16, as: UInt32.self)
            buffer.storeBytes(of: sender.packetCount.bigEndian, toByteOffset: 20, as: UInt32.self)
            buffer.storeBytes(of: sender.octetCount.bigEndian, toByteOffset: 24, as: UInt32.self)
            offset = 28
        }
        if blockCount > 0 {
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + 24 * blockCount)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: reportBlocks[0..<(24 * blockCount)]))
        }
        return length
    }

    /// Writes an SDES packet with one CNAME item (required in every compound packet).
    public static func writeCNAME(into buffer: UnsafeMutableRawBufferPointer, ssrc: UInt32, cname: [UInt8]) -> Int {
        let itemLength = min(cname.count, 255)
        // ssrc(4) + type(1) + len(1) + text + end(1), padded to 32 bits.
        let chunk = (4 + 2 + itemLength + 1 + 3) & ~3
        let length = 4 + chunk
        guard buffer.count >= length else { return 0 }
        writeCommonHeader(into: buffer, count: 1, type: sourceDescription, length: length)
        buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 4, as: UInt32.self)
        buffer[8] = 1  // CNAME
        buffer[9] = UInt8(itemLength)
        for i in 0..<itemLength { buffer[10 + i] = cname[i] }
        for i in (10 + itemLength)..<length { buffer[i] = 0 }
        return length
    }

    /// Writes a BYE for `ssrc`.
    public static func writeBye(into buffer: UnsafeMutableRawBufferPointer, ssrc: UInt32) -> Int {
        guard buffer.count >= 8 else { return 0 }
        writeCommonHeader(into: buffer, count: 1, type: goodbye, length: 8)
        buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 4, as: UInt32.self)
        return 8
    }

    private static func writeCommonHeader(into buffer: UnsafeMutableRawBufferPointer, count: Int, type: UInt8, length: Int) {
        buffer[0] = 0x80 | UInt8(count & 0x1F)
        buffer[1] = type
        buffer.storeBytes(of: UInt16(length / 4 - 1).bigEndian, toByteOffset: 2, as: UInt16.self)
    }

    /// One packet of a compound RTCP packet, as seen by `forEachPacket`.
    public struct Item {
        public let type: UInt8
        public let count: Int
        /// The whole packet including its 4-byte common header.
        public let bytes: UnsafeRawBufferPointer
    }

    /// Walks the packets of a (decrypted) compound RTCP packet; stops at the first malformed one.
    /// - Returns: false when the compound packet was malformed.
    @discardableResult
    public static func forEachPacket(in compound: UnsafeRawBufferPointer, _ body: (Item) -> Void) -> Bool {
        var offset = 0
        while offset + 4 <= compound.count {
            guard compound[offset] >> 6 == 2 else { return false }
            let words = Int(compound[offset + 2]) << 8 | Int(compound[offset + 3])
            let length = 4 * (words + 1)
            guard offset + length <= compound.count else { return false }
            body(Item(type: compound[offset + 1], count: Int(compound[offset] & 0x1F),
                      bytes: UnsafeRawBufferPointer(rebasing: compound[offset..<(offset + length)])))
            offset += length
        }
        return offset == compound.count
    }
}
