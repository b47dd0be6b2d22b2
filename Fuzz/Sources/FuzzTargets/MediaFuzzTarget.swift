import MediaCore
import MediaEngine

/// Arbitrary packet streams at the media port: RTP and RTCP parsing, the RFC 5761
/// demultiplexer, SRTP and SRTCP (garbage that fails authentication, and the fuzzer's
/// bytes protected with the call's key so that they reach the parsers decrypted), the
/// reception statistics, report blocks and the jitter buffer's insert and playout, RFC 4733
/// telephone-events (payload type 101) and the G.711/G.722 decoders (payload types 0, 8, 9).
///
/// The input is a sequence of records: one operation byte, one length byte, then that
/// many bytes (fewer at the end of the input).
public enum MediaFuzzTarget {
    static let key = try! SRTPMasterKey(suite: .aesCM128HMACSHA1_80, material: (0..<30).map { UInt8($0) })
    static let ourSSRC: UInt32 = 0x1234_5678

    /// Held for the life of the process, as a daemon in a call holds its sessions.
    ///
    /// libsrtp's NSS backend opens an NSS context per cipher and NSS initialises itself
    /// (dlopen of its soft token) whenever the first context opens and shuts down when the
    /// last closes: about 1.3 ms per session when none is open, 19 µs when one is.
    nonisolated(unsafe) static let keepNSSOpen = try? SRTPSession(key: key, direction: .receive)

    /// The call's SRTP sessions, created fresh for every input that uses them (their
    /// per-SSRC replay windows and rollover counters must not leak into the next input).
    final class Sessions {
        private var current: (sender: SRTPSession, receiver: SRTPSession)?
        /// Whether the current pair has protected or authenticated a packet.
        var used = false

        /// A pair that has seen no packet.
        func fresh() -> (sender: SRTPSession, receiver: SRTPSession)? {
            if used || current == nil {
                current = nil
                guard let sender = try? SRTPSession(key: MediaFuzzTarget.key, direction: .send),
                      let receiver = try? SRTPSession(key: MediaFuzzTarget.key, direction: .receive) else { return nil }
                current = (sender, receiver)
                used = false
            }
            return current
        }
    }

    nonisolated(unsafe) static let sessions = Sessions()
    /// The datagram buffer, reused: every record is copied in before it is read.
    nonisolated(unsafe) static let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)

    /// State for one input, so that every input replays alike.
    final class Stream {
        let jitterBuffer = JitterBuffer()
        var statistics = ReceptionStatistics()
        var telephoneEvents = TelephoneEventReceiver()
        /// Decoders and room for a packet's worth of 48 kHz audio, as the receive loop has.
        nonisolated(unsafe) static let decoders: [UInt8: VoiceDecoder] = [
            0: try! VoiceDecoder(codec: .pcmu), 8: try! VoiceDecoder(codec: .pcma), 9: try! VoiceDecoder(codec: .g722),
        ]
        nonisolated(unsafe) static let pcm = UnsafeMutableBufferPointer<Int16>.allocate(capacity: 6720)
        let buffer = MediaFuzzTarget.buffer
        let sessions: Sessions
        var now: UInt64 = 1_000_000_000
        /// Fresh sessions, taken when the input first needs them.
        private var pair: (sender: SRTPSession, receiver: SRTPSession)?

        init(sessions: Sessions) {
            self.sessions = sessions
        }

        var sender: SRTPSession? { srtp()?.sender }
        var receiver: SRTPSession? { srtp()?.receiver }

        private func srtp() -> (sender: SRTPSession, receiver: SRTPSession)? {
            if pair == nil { pair = sessions.fresh() }
            return pair
        }

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
            let bytes = UnsafeRawBufferPointer(rebasing: packet[payload])
            if header.payloadType == 101 {
                guard let event = TelephoneEvent(parsing: bytes) else { return }
                let (first, second) = telephoneEvents.receive(event, timestamp: header.timestamp)
                for report in [first, second].compactMap({ $0 }) {
                    FuzzDriver.require((0...Int(UInt16.max)).contains(report.duration), "a DTMF event of \(report.duration) units")
                }
                return
            }
            if let decoder = Self.decoders[header.payloadType] {
                let samples = (try? decoder.decode(bytes, into: Self.pcm)) ?? 0
                FuzzDriver.require(samples <= Self.pcm.count && samples % 6 == 0, "\(samples) samples from \(bytes.count) bytes")
                return
            }
            // As the receive loop does: a payload that is not Opus never reaches the buffer.
            let opus = bytes
            guard let samples = OpusPacketDuration.samples(in: opus) else { return }
            FuzzDriver.require((120...OpusPacketDuration.maximumSamples).contains(samples), "an Opus packet of \(samples) samples")
            jitterBuffer.insert(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker,
                                payload: opus, samples: samples, arrival: now)
        }

        /// Garbage at the port: SRTP and SRTCP must refuse it without harm.
        @inline(never)
        func refuse(_ record: UnsafeRawBufferPointer) {
            guard let receiver else { return }
            let length = load(record)
            let plain: Int?
            if RTPDemultiplexer.isRTCP(datagram(length)) {
                plain = try? receiver.unprotectRTCP(buffer, length: length)
            } else {
                plain = try? receiver.unprotect(buffer, length: length)
            }
            // Garbage that authenticates would have changed the receiver's state.
            if plain != nil { sessions.used = true }
        }

        /// The fuzzer's bytes sent with the call's key: decrypted, then parsed.
        @inline(never)
        func sendThrough(_ record: UnsafeRawBufferPointer) {
            guard let sender, let receiver else { return }
            let length = load(record)
            sessions.used = true
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
        _ = keepNSSOpen
        let stream = Stream(sessions: sessions)
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
