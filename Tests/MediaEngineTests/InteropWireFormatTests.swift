import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Synchronization
import Testing

/// The datagrams on the wire, as a far end receives them on a plain UDP socket and
/// decrypts them with libsrtp: RTP numbering and timing, SRTCP reports, BYE.
@Suite("Interop: RTP and SRTCP on the wire", .timeLimit(.minutes(1)))
struct InteropWireFormatTests {
    @Test("sequence +1, timestamp +960, marker first, ~50 packets/s, SRTCP within 4 s, BYE at the end",
          arguments: SRTPSuite.allCases)
    func continuity(suite: SRTPSuite) throws {
        let collector = try DatagramCollector()
        defer { collector.stop() }
        let key = SRTPMasterKey.random(suite: suite)
        let media = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: collector.address, bindLoopbackOnly: true, sendKey: key,
                source: .tone(hertz: 1000), playback: .none, mediaTimeoutSeconds: 0))
        media.start()
        // The first report is due 1–3 s after the start (RFC 3550 §6.2); wait for it and
        // at least 3 s of media, with room to spare on a loaded machine.
        let reported = collector.wait(timeout: 15) { datagrams in
            datagrams.count >= 150 && datagrams.contains { $0.bytes.withUnsafeBytes(RTPDemultiplexer.isRTCP) }
        }
        media.stop()
        // The BYE is sent on stop; give it a moment to arrive.
        collector.wait(timeout: 5) { datagrams in
            datagrams.last.map { $0.bytes.withUnsafeBytes(RTPDemultiplexer.isRTCP) } ?? false
        }
        collector.stop()
        #expect(reported, "no SRTCP packet among \(collector.count) datagrams")

        let far = try SRTPFarEnd(datagrams: collector.datagrams, key: key)
        #expect(far.authenticationFailures == 0)
        #expect(far.otherFailures.isEmpty, "\(far.otherFailures)")
        let packets = far.packets
        try #require(packets.count >= 150)

        #expect(packets.allSatisfy { $0.header.ssrc == media.ssrc && $0.header.payloadType == 111 })
        #expect(packets[0].header.marker, "the first packet of a talkspurt carries the marker bit")
        #expect(packets.dropFirst().allSatisfy { !$0.header.marker }, "an unmuted tone is one talkspurt")
        var sequenceFaults = 0, timestampFaults = 0
        for (previous, next) in zip(packets, packets.dropFirst()) {
            if next.header.sequenceNumber != previous.header.sequenceNumber &+ 1 { sequenceFaults += 1 }
            if next.header.timestamp != previous.header.timestamp &+ 960 { timestampFaults += 1 }
        }
        #expect(sequenceFaults == 0)
        #expect(timestampFaults == 0)
        #expect(UInt64(packets.count) == media.statistics.packetsSent.load(ordering: .relaxed))

        // Average rate over the whole run: paced by absolute deadlines, so ~50/s even when
        // single packets are late on a busy machine.
        let seconds = Double(packets.last!.arrival - packets[0].arrival) / 1e9
        let rate = Double(packets.count - 1) / seconds
        #expect((42...58).contains(rate), "\(rate) packets/s")

        let reports = far.controlPackets(containing: RTCPPacket.senderReport)
        let firstReport = try #require(reports.first, "no Sender Report among \(far.controlPackets.count) SRTCP packets")
        #expect(firstReport.types.contains(RTCPPacket.sourceDescription), "SR is sent with SDES CNAME")
        let delay = Double(firstReport.arrival - packets[0].arrival) / 1e9
        #expect(delay <= 4, "first Sender Report after \(delay) s")
        #expect(far.controlPackets.last?.types.contains(RTCPPacket.goodbye) == true, "BYE on stop")

        // What arrived is the tone (our own decoder; GStreamer and ffmpeg check it independently).
        let report = ToneReport(samples: far.samples)
        #expect(report.isTone(1000), "\(report)")
    }

    @Test("the far end's check is real: a wrong key authenticates nothing")
    func wrongKeyFailsAuthentication() throws {
        let collector = try DatagramCollector()
        defer { collector.stop() }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let media = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: collector.address, bindLoopbackOnly: true, sendKey: key,
                source: .tone(hertz: 1000), playback: .none, mediaTimeoutSeconds: 0))
        media.start()
        collector.wait(timeout: 10) { $0.count >= 25 }
        media.stop()
        collector.stop()
        let far = try SRTPFarEnd(datagrams: collector.datagrams, key: .random(suite: .aesCM128HMACSHA1_80))
        #expect(collector.count >= 25)
        #expect(far.packets.isEmpty && far.samples.isEmpty)
        #expect(far.authenticationFailures + far.otherFailures.count == collector.count)
    }

    /// Mutes for a while in the middle of a tone; returns the far end's view and the
    /// monotonic times the mute took effect and the unmute was requested.
    static func muteInTheMiddle(mode: MuteMode) throws -> (far: SRTPFarEnd, applied: UInt64, unmuted: UInt64, ssrc: UInt32) {
        let collector = try DatagramCollector()
        defer { collector.stop() }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let media = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: collector.address, bindLoopbackOnly: true, sendKey: key,
                source: .tone(hertz: 1000), playback: .none, mediaTimeoutSeconds: 0))
        media.start()
        collector.wait(timeout: 10) { $0.count >= 50 }
        let sequence = try #require(media.sendCommands.enqueue(.mute(at: MonotonicClock.now(), mode: mode)))
        let deadline = Date().addingTimeInterval(10)
        while !media.sendCommands.isApplied(sequence), Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
        let applied = MonotonicClock.now()
        Thread.sleep(forTimeInterval: 1)
        let unmuted = MonotonicClock.now()
        media.sendCommands.enqueue(.unmute(at: unmuted))
        let before = collector.count
        collector.wait(timeout: 10) { $0.count >= before + 50 }
        media.stop()
        collector.stop()
        return (try SRTPFarEnd(datagrams: collector.datagrams, key: key), applied, unmuted, media.ssrc)
    }

    @Test("mute in silence mode: packets keep flowing, numbered without a gap, and decode to silence")
    func silenceModeOnTheWire() throws {
        let (far, applied, unmuted, _) = try Self.muteInTheMiddle(mode: .silence)
        #expect(far.authenticationFailures == 0 && far.otherFailures.isEmpty)
        let packets = far.packets
        let pairs = zip(packets, packets.dropFirst())
        #expect(pairs.filter { $0.1.header.sequenceNumber != $0.0.header.sequenceNumber &+ 1 }.isEmpty, "sequence gaps")
        #expect(pairs.filter { $0.1.header.timestamp != $0.0.header.timestamp &+ 960 }.isEmpty, "timestamp jumps")
        // A frame's worth of margin after the mute took effect.
        let muted = packets.filter { $0.arrival > applied + 40_000_000 && $0.arrival < unmuted }
        #expect(muted.count >= 40, "RTP keeps flowing while muted: \(muted.count) packets in 1 s")
        let loudest = muted.map { AudioAnalysis.rmsDBFS(Array(far.samples(of: $0))) }.max() ?? 0
        #expect(loudest < -60, "muted packets must decode to silence; loudest \(loudest) dBFS")
        let after = packets.filter { $0.arrival > unmuted + 100_000_000 }
        let tone = ToneReport(samples: after.flatMap { far.samples(of: $0) })
        #expect(tone.isTone(1000), "the tone is back after unmute: \(tone)")
    }

    @Test("mute in disable mode: no RTP while muted; on unmute sequence +1, marker set, timestamp follows the clock")
    func disableModeOnTheWire() throws {
        let (far, applied, unmuted, ssrc) = try Self.muteInTheMiddle(mode: .disable)
        #expect(far.authenticationFailures == 0 && far.otherFailures.isEmpty)
        let packets = far.packets
        #expect(packets.allSatisfy { $0.header.ssrc == ssrc })
        let during = packets.filter { $0.arrival > applied + 40_000_000 && $0.arrival < unmuted }
        #expect(during.isEmpty, "\(during.count) RTP packets were sent while muted in disable mode")

        let gaps = zip(packets, packets.dropFirst()).filter { $0.1.arrival - $0.0.arrival > 500_000_000 }
        try #require(gaps.count == 1, "expected one gap in the media, found \(gaps.count)")
        let (last, resumed) = gaps[0]
        #expect(resumed.header.sequenceNumber == last.header.sequenceNumber &+ 1)
        #expect(resumed.header.marker, "the first packet after unmute starts a talkspurt")
        let advanced = Double(resumed.header.timestamp &- last.header.timestamp) / 48_000
        let elapsed = Double(resumed.arrival - last.arrival) / 1e9
        #expect(abs(advanced - elapsed) < 0.1, "timestamp advanced \(advanced) s over \(elapsed) s")
        #expect(packets.filter(\.header.marker).count == 2, "marker on the first packet and after unmute only")
    }
}
