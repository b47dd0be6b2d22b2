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
                // Garbage at the port: SRTP and SRTCP must refuse it without harm.
                let length = stream.load(record)
                if RTPDemultiplexer.isRTCP(stream.datagram(length)) {
                    _ = try? stream.receiver.unprotectRTCP(stream.buffer, length: length)
                } else {
                    _ = try? stream.receiver.unprotect(stream.buffer, length: length)
                }
            case 3:
                // The fuzzer's bytes sent with the call's key: decrypted, then parsed.
                let length = stream.load(record)
                let rtcp = RTPDemultiplexer.isRTCP(stream.datagram(length))
                guard let protected = try? (rtcp ? stream.sender.protectRTCP(stream.buffer, length: length)
                                                 : stream.sender.protect(stream.buffer, length: length)),
                      let plain = try? (rtcp ? stream.receiver.unprotectRTCP(stream.buffer, length: protected)
                                             : stream.receiver.unprotect(stream.buffer, length: protected)) else { continue }
                stream.receive(stream.datagram(plain))
            case 4, 5:
                // Playout ticks.
                for _ in 0...(record.first.map { Int($0 & 0x0F) } ?? 0) {
                    stream.now &+= 20_000_000
                    _ = stream.jitterBuffer.nextFrame(now: stream.now)
                }
            default:
                // A receiver report about the source, written and read back.
                let block = stream.statistics.makeReportBlock(ssrc: 1, lastSenderReport: 0, delaySinceLastSenderReport: 0)
                var blockBytes = [UInt8](repeating: 0, count: RTCPReportBlock.size)
                blockBytes.withUnsafeMutableBytes { _ = block.write(into: $0) }
                let written = blockBytes.withUnsafeBytes {
                    RTCPPacket.writeReport(into: stream.buffer, ssrc: ourSSRC, sender: nil, reportBlocks: $0)
                }
                let report = RTCPReceivedReport(parsing: stream.datagram(written))
                FuzzDriver.require(report?.reportBlock(at: 0) == block, "a report block does not read back as written")
            }
        }
    }
}
