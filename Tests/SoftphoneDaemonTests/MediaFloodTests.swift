import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Synchronization
import Testing

/// Abuse from outside while a call runs: garbage at the media port (random bytes, truncated
/// headers, RTP and SRTCP with a wrong key or SSRC, one valid packet replayed over and over)
/// and a stream of control requests. The agent's voice keeps going out at 50 packets/s.
@Suite("Media under a flood", .serialized)
struct MediaFloodTests {
    @Test("a flood at the media port and the control socket never stalls the 50 packets/s")
    func floodDoesNotStallTheSendPath() async throws {
        let peer = try await CallPeer(tone: 440)
        defer { peer.stop() }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let far = try DatagramCollector()
        defer { far.stop() }
        let daemonAddress = try await peer.acceptSDESOffer(farPort: far.address.port, key: key, session: 79)
        #expect(try await far.arrived(within: .seconds(10)) { $0.count >= 25 }, "the call sends no media")

        // The garbage: each kind the receive path must refuse without cost.
        let wrongKey = try SRTPSession(key: SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80), direction: .send)
        let rightKey = try SRTPSession(key: key, direction: .send)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }
        var kinds: [[UInt8]] = []
        var generator = SystemRandomNumberGenerator()
        kinds.append((0..<172).map { _ in UInt8.random(in: 0...255, using: &generator) })
        kinds.append([0x80, 0x6F, 0x00])
        for (session, ssrc) in [(wrongKey, UInt32(0xBAD)), (rightKey, UInt32(0x600D))] {
            RTPHeader(payloadType: 111, sequenceNumber: 7, timestamp: 960, ssrc: ssrc).write(to: buffer)
            for i in 12..<172 { buffer[i] = UInt8(truncatingIfNeeded: i) }
            kinds.append(Array(buffer[0..<(try session.protect(buffer, length: 172))]))
            let length = RTCPPacket.writeReport(into: buffer, ssrc: ssrc, sender: nil)
            kinds.append(Array(buffer[0..<(try session.protectRTCP(buffer, length: length))]))
        }
        // A quiet window first, as long as the flood: what this machine's scheduling alone does.
        let quietStart = MonotonicClock.now()
        try await Task.sleep(for: .seconds(3))
        let quiet = Self.window(far.datagrams, from: quietStart, to: MonotonicClock.now())

        // The right key's RTP packet, sent again and again: replayed after its first time.
        let socket = try UDPSocket(localPort: 0, family: daemonAddress, bindLoopbackOnly: true)
        let floodStart = MonotonicClock.now()
        let flooding = FloodSwitch()
        let garbage = kinds
        let floodThread = Thread {
            var sent = 0
            // About 20 000 datagrams/s (bursts of 100 every 5 ms, some 30 Mbit/s), 100 times
            // the call's own packet rate; bounded in count and time (80 000, 4 s). A sender
            // spinning flat out would measure the test's own thread taking a core of two.
            while flooding.on.load(ordering: .relaxed), sent < 80_000, MonotonicClock.now() - floodStart < 4_000_000_000 {
                for _ in 0..<100 {
                    let datagram = garbage[sent % garbage.count]
                    _ = datagram.withUnsafeBytes { socket.send($0, to: daemonAddress) }
                    sent += 1
                }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        floodThread.start()
        for _ in 0..<100 { _ = try await peer.control.result("status") }
        try await Task.sleep(for: .seconds(3))
        flooding.on.store(false, ordering: .relaxed)
        let floodEnd = MonotonicClock.now()

        let during = Self.window(far.datagrams, from: floodStart, to: floodEnd)
        print("measurement: media under a flood: \(during.count) packets in \(during.seconds) s (\(during.rate)/s), largest gap \(Double(during.largestGap) / 1e6) ms; quiet before: \(quiet.rate)/s, largest gap \(Double(quiet.largestGap) / 1e6) ms")
        #expect(during.rate > 47 && during.rate < 53, "\(during.rate) packets/s during the flood")
        // The target is no gap over 30 ms, met on an idle machine (24 ms). The arrival times
        // are taken by this process's collector thread at normal priority, which a loaded
        // 2-core machine delays by tens of milliseconds with or without a flood; what is
        // asserted is that the flood never stalls the send path (a stall is a gap of a tick or
        // more beyond the quiet window's, and the rate above would fall).
        #expect(during.largestGap <= max(30_000_000, quiet.largestGap + 40_000_000),
                "a gap of \(Double(during.largestGap) / 1e6) ms during the flood (quiet: \(Double(quiet.largestGap) / 1e6) ms)")
        let stats = try await peer.stats()
        #expect((CallJSON.number(stats, "packetsRefused") ?? 0) > 1000, "the flood did not reach the receive path: \(stats)")
        // Refused by its clear header, not by SRTP: this far end sends nothing, so another
        // source's RTP may reach the crypto once per 20 ms tick (how a new SSRC takes over),
        // its SRTCP once a second; the other thousands of datagrams never do.
        let budget = (MonotonicClock.now() - floodStart) / 20_000_000 + 5
        #expect(UInt64(CallJSON.number(stats, "authFailures") ?? 0) <= budget, "the flood reached SRTP: \(stats)")
        #expect(CallJSON.object(try await peer.status(), "call") != nil, "the flood ended the call")
    }
}

extension MediaFloodTests {
    struct Window {
        var count: Int
        var seconds: Double
        var rate: Double { Double(count) / seconds }
        var largestGap: UInt64
    }

    /// Our RTP packets (payload type 111) that arrived between `start` and `end`.
    static func window(_ datagrams: [DatagramCollector.Datagram], from start: UInt64, to end: UInt64) -> Window {
        let packets = datagrams.filter { $0.arrival >= start && $0.arrival <= end && $0.bytes.count > 1 && $0.bytes[1] & 0x7F == 111 }
        var gap: UInt64 = 0
        for (previous, next) in zip(packets, packets.dropFirst()) { gap = max(gap, next.arrival - previous.arrival) }
        return Window(count: packets.count, seconds: Double(end - start) / 1e9, largestGap: gap)
    }
}

/// Stops the flooding thread.
final class FloodSwitch: Sendable {
    let on = Atomic<Bool>(true)
}
