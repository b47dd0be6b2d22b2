import MediaCore
import MediaEngine

/// The receive path of one call without the socket: SRTP unprotect → RTP parse → Opus
/// decode, fed with a batch of real protected packets of the tone.
///
/// The far end's work (encoding, protecting) happens in `prepare(count:)`, outside the
/// measured region; `receiveAll()` allocates nothing.
public final class ReceiveFixture {
    /// Bytes per packet slot: an 80-byte Opus packet at 32 kb/s plus header and tag fits easily.
    static let slotSize = 512

    /// The far end's encoder and sending session, used only in `init` and `prepare(count:)`.
    private let farEncoder: OpusEncoder
    private let farSRTP: SRTPSession
    private let farPacket: UnsafeMutableRawBufferPointer
    /// Where the far end's encoder writes, after the RTP header.
    private let farPayload: UnsafeMutableRawBufferPointer
    private var farSequence: UInt16 = 0
    private let srtp: SRTPSession
    private let decoder: OpusDecoder
    /// One second of the tone, Opus-encoded once: `payloadLengths[i]` bytes at slot `i`.
    private let payloads: UnsafeMutableRawBufferPointer
    private var payloadLengths: [Int]
    /// The protected packets of the current batch.
    private let batch: UnsafeMutableRawBufferPointer
    private var batchLengths: UnsafeMutableBufferPointer<Int>
    private var batchCount = 0
    private var nextPayload = 0
    private let pcm: UnsafeMutableBufferPointer<Int16>

    /// - Parameter capacity: the largest batch `prepare(count:)` will be asked for.
    public init(key: SRTPMasterKey, capacity: Int) throws {
        farEncoder = try OpusEncoder(settings: OpusSettings())
        farSRTP = try SRTPSession(key: key, direction: .send)
        farPacket = .allocate(byteCount: 1500, alignment: 8)
        farPayload = UnsafeMutableRawBufferPointer(rebasing: farPacket[RTPHeader.size..<(farPacket.count - SRTPSession.maxTrailer)])
        srtp = try SRTPSession(key: key, direction: .receive)
        decoder = try OpusDecoder()
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
        pcm = .allocate(capacity: AudioFormat.samplesPerFrame)
        pcm.initialize(repeating: 0)
    }

    deinit {
        farPacket.deallocate()
        payloads.deallocate()
        batch.deallocate()
        batchLengths.deallocate()
        pcm.deallocate()
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
            RTPHeader(payloadType: 111, sequenceNumber: farSequence, timestamp: UInt32(farSequence) &* 960, ssrc: 0x5EED_0001)
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

    /// Unprotects, parses and decodes every packet of the prepared batch.
    /// - Returns: the samples decoded.
    @inline(__always)
    public func receiveAll() throws -> Int {
        var samples = 0
        for i in 0..<batchCount {
            let slot = UnsafeMutableRawBufferPointer(rebasing: batch[(i * Self.slotSize)..<((i + 1) * Self.slotSize)])
            let length = try srtp.unprotect(slot, length: batchLengths[i])
            guard let (_, payload) = RTPHeader.parse(UnsafeRawBufferPointer(rebasing: slot[0..<length])) else {
                throw ReceiveFixtureError(description: "packet \(i) is not RTP after unprotect")
            }
            samples += try decoder.decode(UnsafeRawBufferPointer(rebasing: slot[payload]), into: pcm)
        }
        return samples
    }
}

/// A packet of the benchmark's own stream did not come back as RTP.
public struct ReceiveFixtureError: Error, CustomStringConvertible {
    public let description: String
}
