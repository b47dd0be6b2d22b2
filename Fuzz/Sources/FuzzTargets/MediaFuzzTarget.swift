import MediaCore
import MediaEngine

/// Arbitrary packet streams at the media port: RTP and RTCP parsing, the RFC 5761
/// demultiplexer, SRTP and SRTCP (garbage that fails authentication, and the fuzzer's
/// bytes protected with the call's key so that they reach the parsers decrypted), the
/// reception statistics, report blocks and the jitter buffer's insert and playout.
///
/// The input is a sequence of records: one operation byte, one length byte, then that
/// many bytes (fewer at the end of the input).
public enum MediaFuzzTarget {
    static let key = try! SRTPMasterKey(suite: .aesCM128HMACSHA1_80, material: (0..<30).map { UInt8($0) })
    static let ourSSRC: UInt32 = 0x1234_5678

    /// State for one input, so that every input replays alike.
    final class Stream {
        let jitterBuffer = JitterBuffer()
        var statistics = ReceptionStatistics()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        let sender: SRTPSession
        let receiver: SRTPSession
        var now: UInt64 = 1_000_000_000

        init() throws(SRTPError) {
            sender = try SRTPSession(key: MediaFuzzTarget.key, direction: .send)
            receiver = try SRTPSession(key: MediaFuzzTarget.key, direction: .receive)
        }

        deinit { buffer.deallocate() }

        /// What the receive path does with a plain datagram.
        @inline(never)
        func receive(_ packet: UnsafeRawBufferPointer) {
            if RTPDemultiplexer.isRTCP(packet) {
                RTCPPacket.forEachPacket(in: packet) { item in
                    guard let report = RTCPReceivedReport(parsing: item.bytes) else { return }
                    for index in 0..<report.reportBlockCount { _ = report.reportBlock(at: index).fractionLostRatio }
                    _ = report.reportBlock(about: MediaFuzzTarget.ourSSRC)?.roundTripTime(arrival: UInt32(truncatingIfNeeded: now >> 16))
                }
                return
            }
            guard let (header, payload) = RTPHeader.parse(packet) else { return }
            statistics.update(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, arrival: now)
            jitterBuffer.insert(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker,
                                payload: UnsafeRawBufferPointer(rebasing: packet[payload]), arrival: now)
        }

        /// Garbage at the port: SRTP and SRTCP must refuse it without harm.
        @inline(never)
        func refuse(_ record: UnsafeRawBufferPointer) {
            let length = load(record)
            if RTPDemultiplexer.isRTCP(datagram(length)) {
                _ = try? receiver.unprotectRTCP(buffer, length: length)
            } else {
                _ = try? receiver.unprotect(buffer, length: length)
            }
        }

        /// The fuzzer's bytes sent with the call's key: decrypted, then parsed.
        @inline(never)
        func sendThrough(_ record: UnsafeRawBufferPointer) {
            let length = load(record)
            let plain: Int
            do {
                if RTPDemultiplexer.isRTCP(datagram(length)) {
                    plain = try receiver.unprotectRTCP(buffer, length: try sender.protectRTCP(buffer, length: length))
                } else {
                    plain = try receiver.unprotect(buffer, length: try sender.protect(buffer, length: length))
                }
            } catch {
                return
            }
            receive(datagram(plain))
        }

        /// Playout ticks.
        @inline(never)
        func play(ticks: Int) {
            for _ in 0..<ticks {
                now &+= 20_000_000
                _ = jitterBuffer.nextFrame(now: now)
            }
        }

        /// A receiver report about the source, written and read back.
        @inline(never)
        func checkReport() {
            let block = statistics.makeReportBlock(ssrc: 1, lastSenderReport: 0, delaySinceLastSenderReport: 0)
            var blockBytes = [UInt8](repeating: 0, count: RTCPReportBlock.size)
            blockBytes.withUnsafeMutableBytes { _ = block.write(into: $0) }
            let written = blockBytes.withUnsafeBytes {
                RTCPPacket.writeReport(into: buffer, ssrc: MediaFuzzTarget.ourSSRC, sender: nil, reportBlocks: $0)
            }
            let report = RTCPReceivedReport(parsing: datagram(written))
            FuzzDriver.require(report?.reportBlock(at: 0) == block, "a report block does not read back as written")
        }

        /// Copies `bytes` into the datagram buffer (leaving room for an SRTP trailer).
        func load(_ bytes: UnsafeRawBufferPointer) -> Int {
            let length = min(bytes.count, buffer.count - SRTPSession.maxTrailer)
            if length > 0 { buffer.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: length) }
            return length
        }

        func datagram(_ length: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<length])
        }
    }

    public static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let stream = try? Stream() else { return }
        var offset = 0
        while offset + 2 <= bytes.count {
            let operation = bytes[offset]
            let end = min(bytes.count, offset + 2 + Int(bytes[offset + 1]))
            let record = UnsafeRawBufferPointer(rebasing: bytes[(offset + 2)..<end])
            offset = end
            stream.now &+= UInt64(operation >> 3) * 1_000_000
            switch operation & 0x07 {
            case 0, 1:
                // A plain datagram, as it would look after SRTP.
                stream.receive(record)
            case 2:
                stream.refuse(record)
            case 3:
                stream.sendThrough(record)
            case 4, 5:
                stream.play(ticks: 1 + (record.first.map { Int($0 & 0x0F) } ?? 0))
            default:
                stream.checkReport()
            }
        }
    }
}
