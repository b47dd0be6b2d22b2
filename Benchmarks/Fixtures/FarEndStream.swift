import MediaCore
import MediaEngine

/// The far end of a call: its 20 ms packets of a tone, Opus-encoded and SRTP-protected
/// with its key, in batches prepared outside the measured region.
public final class FarEndStream {
    /// Bytes per packet slot: an 80-byte Opus packet at 32 kb/s plus header and tag fits easily.
    public static let slotSize = 512
    public static let ssrc: UInt32 = 0x5EED_0001

    private let farEncoder: OpusEncoder
    private let farSRTP: SRTPSession
    private let farPacket: UnsafeMutableRawBufferPointer
    /// Where the far end's encoder writes, after the RTP header.
    private let farPayload: UnsafeMutableRawBufferPointer
    private var farSequence: UInt16 = 0
    /// One second of the tone, Opus-encoded once: `payloadLengths[i]` bytes at slot `i`.
    private let payloads: UnsafeMutableRawBufferPointer
    private var payloadLengths: [Int]
    /// The protected packets of the current batch.
    public let batch: UnsafeMutableRawBufferPointer
    public private(set) var batchLengths: UnsafeMutableBufferPointer<Int>
    public private(set) var batchCount = 0
    private var nextPayload = 0

    /// - Parameter capacity: the largest batch `prepare(count:)` will be asked for.
    public init(key: SRTPMasterKey, capacity: Int) throws {
        farEncoder = try OpusEncoder(settings: OpusSettings())
        farSRTP = try SRTPSession(key: key, direction: .send)
        farPacket = .allocate(byteCount: 1500, alignment: 8)
        farPayload = UnsafeMutableRawBufferPointer(rebasing: farPacket[RTPHeader.size..<(farPacket.count - SRTPSession.maxTrailer)])
        let tone = ToneSignal()
        payloads = .allocate(byteCount: ToneSignal.frameCount * Self.slotSize, alignment: 8)
        payloadLengths = []
        for i in 0..<ToneSignal.frameCount {
            let length = try farEncoder.encode(tone.frame(i), into: farPayload)
            precondition(length <= Self.slotSize - RTPHeader.size - SRTPSession.maxTrailer)
            UnsafeMutableRawBufferPointer(rebasing: payloads[(i * Self.slotSize)...])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: farPayload[0..<length]))
            payloadLengths.append(length)
        }
        batch = .allocate(byteCount: capacity * Self.slotSize, alignment: 8)
        batchLengths = .allocate(capacity: capacity)
        batchLengths.initialize(repeating: 0)
    }

    deinit {
        farPacket.deallocate()
        payloads.deallocate()
        batch.deallocate()
        batchLengths.deallocate()
    }

    /// Packet `i` of the current batch.
    public func packet(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: batch[(i * Self.slotSize)..<(i * Self.slotSize + batchLengths[i])])
    }

    /// The far end's SRTCP: a receiver report with no blocks, protected with its key.
    public func protectedReport() throws -> [UInt8] {
        farPacket.storeBytes(of: 0x80, toByteOffset: 0, as: UInt8.self)
        farPacket.storeBytes(of: 201, toByteOffset: 1, as: UInt8.self)
        farPacket.storeBytes(of: UInt16(1).bigEndian, toByteOffset: 2, as: UInt16.self)
        farPacket.storeBytes(of: Self.ssrc.bigEndian, toByteOffset: 4, as: UInt32.self)
        let length = try farSRTP.protectRTCP(farPacket, length: 8)
        return Array(farPacket[0..<length])
    }

    /// The far end's side: packetizes and protects the next `count` frames of the tone,
    /// continuing the sequence numbers of the previous batch.
    public func prepare(count: Int) throws {
        precondition(count <= batchLengths.count)
        for i in 0..<count {
            let payloadIndex = nextPayload % ToneSignal.frameCount
            let length = payloadLengths[payloadIndex]
            farPayload.copyMemory(from: UnsafeRawBufferPointer(
                rebasing: payloads[(payloadIndex * Self.slotSize)..<(payloadIndex * Self.slotSize + length)]))
            RTPHeader(payloadType: 111, sequenceNumber: farSequence, timestamp: UInt32(farSequence) &* 960, ssrc: Self.ssrc)
                .write(to: farPacket)
            farSequence &+= 1
            let protected = try farSRTP.protect(farPacket, length: RTPHeader.size + length)
            UnsafeMutableRawBufferPointer(rebasing: batch[(i * Self.slotSize)...])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: farPacket[0..<protected]))
            batchLengths[i] = protected
            nextPayload &+= 1
        }
        batchCount = count
    }
}
