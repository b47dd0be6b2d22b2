import MediaCore
import MediaEngine

/// The send path of one call without the socket: Opus encode → RTP header → SRTP protect,
/// composed from the same public pieces, in the same order and with the same buffer
/// layout as the media thread's send loop.
///
/// Every buffer is allocated once in `init`; `send(_:)` allocates nothing.
public final class FrameSender {
    public let encoder: OpusEncoder
    public let srtp: SRTPSession
    /// The packet buffer: header, payload, and room for the SRTP trailer.
    public let packet: UnsafeMutableRawBufferPointer
    public let ssrc: UInt32 = 0x5EED_0001
    public private(set) var sequence: UInt16 = 0
    public private(set) var timestamp: UInt32 = 0
    private var marker = true

    public init(key: SRTPMasterKey, opus: OpusSettings = OpusSettings()) throws {
        encoder = try OpusEncoder(settings: opus)
        srtp = try SRTPSession(key: key, direction: .send)
        packet = .allocate(byteCount: 1500, alignment: 8)
    }

    deinit { packet.deallocate() }

    /// The space the encoder writes its packet into.
    @inline(__always)
    public var payload: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: packet[RTPHeader.size..<(packet.count - SRTPSession.maxTrailer)])
    }

    /// Encodes, packetizes and protects one 20 ms frame.
    /// - Returns: the length of the SRTP packet now at the start of `packet`.
    @inline(__always)
    public func send(_ frame: UnsafePointer<Int16>) throws -> Int {
        let encoded = try encoder.encode(frame, into: payload)
        return try packetizeAndProtect(payloadLength: encoded)
    }

    /// Encodes one 20 ms frame and writes the RTP header in front of it, without SRTP.
    /// - Returns: the length of the plain RTP packet.
    @inline(__always)
    public func packetize(_ frame: UnsafePointer<Int16>) throws -> Int {
        let encoded = try encoder.encode(frame, into: payload)
        writeHeader()
        return RTPHeader.size + encoded
    }

    @inline(__always)
    private func writeHeader() {
        RTPHeader(marker: marker, payloadType: 111, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc)
            .write(to: packet)
        marker = false
        sequence &+= 1
        timestamp &+= UInt32(AudioFormat.samplesPerFrame)
    }

    /// Writes the RTP header in front of a payload already in place and protects the packet.
    /// - Returns: the length of the SRTP packet.
    @inline(__always)
    public func packetizeAndProtect(payloadLength: Int) throws -> Int {
        writeHeader()
        return try srtp.protect(packet, length: RTPHeader.size + payloadLength)
    }
}
