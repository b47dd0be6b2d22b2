/// A Sender Report or Receiver Report from the far end (RFC 3550 §6.4), read in place.
///
/// - warning: The report blocks are read lazily from the packet's bytes: use the value only
///   while the buffer it was parsed from is alive and unchanged.
public struct RTCPReceivedReport {
    /// True for an SR (type 200), false for an RR (201).
    public let isSenderReport: Bool
    /// The SSRC of the report's sender.
    public let ssrc: UInt32
    /// The sender information of an SR.
    public let senderInfo: RTCPPacket.SenderInfo?
    /// Number of report blocks.
    public let reportBlockCount: Int
    private let blocks: UnsafeRawBufferPointer

    /// Parses one SR or RR packet, common header included (e.g. an `RTCPPacket.Item`'s bytes).
    /// - Returns: nil for other packet types and for packets too short for their count.
    public init?(parsing packet: UnsafeRawBufferPointer) {
        guard packet.count >= 8, packet[0] >> 6 == 2 else { return nil }
        let type = packet[1]
        guard type == RTCPPacket.senderReport || type == RTCPPacket.receiverReport else { return nil }
        let count = Int(packet[0] & 0x1F)
        let declared = 4 * ((Int(packet[2]) << 8 | Int(packet[3])) + 1)
        guard declared <= packet.count else { return nil }
        isSenderReport = type == RTCPPacket.senderReport
        ssrc = UInt32(bigEndianBytes: packet, at: 4)
        var offset = 8
        if isSenderReport {
            guard declared >= 28 else { return nil }
            senderInfo = RTCPPacket.SenderInfo(
                ntp: .init(seconds: UInt32(bigEndianBytes: packet, at: 8), fraction: UInt32(bigEndianBytes: packet, at: 12)),
                rtpTimestamp: UInt32(bigEndianBytes: packet, at: 16),
                packetCount: UInt32(bigEndianBytes: packet, at: 20),
                octetCount: UInt32(bigEndianBytes: packet, at: 24))
            offset = 28
        } else {
            senderInfo = nil
        }
        guard offset + count * RTCPReportBlock.size <= declared else { return nil }
        reportBlockCount = count
        blocks = UnsafeRawBufferPointer(rebasing: packet[offset..<(offset + count * RTCPReportBlock.size)])
    }

    /// The report block at `index` (0 ..< `reportBlockCount`).
    public func reportBlock(at index: Int) -> RTCPReportBlock {
        precondition(index >= 0 && index < reportBlockCount)
        let start = index * RTCPReportBlock.size
        // The length was checked at parse time.
        return RTCPReportBlock(parsing: UnsafeRawBufferPointer(rebasing: blocks[start..<(start + RTCPReportBlock.size)]))!
    }

    /// The block reporting on `source` (normally softphoned's own SSRC), if any.
    public func reportBlock(about source: UInt32) -> RTCPReportBlock? {
        for index in 0..<reportBlockCount {
            let block = reportBlock(at: index)
            if block.ssrc == source { return block }
        }
        return nil
    }
}
