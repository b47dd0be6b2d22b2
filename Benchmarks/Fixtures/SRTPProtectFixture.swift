import MediaCore
import MediaEngine

/// libsrtp2's share of the send path: `SRTPSession.protect` of one RTP packet with an
/// 80-byte payload, the header rewritten with the next sequence number each time.
public final class SRTPProtectFixture {
    private let srtp: SRTPSession
    private let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
    private var sequence: UInt16 = 0

    public init(key: SRTPMasterKey) throws {
        srtp = try SRTPSession(key: key, direction: .send)
        packet.initializeMemory(as: UInt8.self, repeating: 0x5A)
    }

    deinit { packet.deallocate() }

    /// - Returns: the protected length.
    @inline(__always)
    public func protectNext() throws -> Int {
        sequence &+= 1
        RTPHeader(payloadType: 111, sequenceNumber: sequence, timestamp: UInt32(sequence) &* 960, ssrc: 0x5EED_0001).write(to: packet)
        return try srtp.protect(packet, length: RTPHeader.size + 80)
    }
}
