import Foundation
import MediaCore
import MediaEngine
import Synchronization
import Testing

/// The production receive loop against a blind flood of one-off SSRCs at the call's port,
/// arriving before the far end's first packet: the far end must still be heard from its
/// second packet on, and the flood must not reach SRTP.
@Suite("Receive loop under a blind flood", .serialized)
struct ReceiveLoopFloodTests {
    @Test("a flood of one-off SSRCs before the far end's first packet neither hides it nor reaches SRTP")
    func floodBeforeTheFarEndsFirstPacket() throws {
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let loopback = try SocketAddress(host: "127.0.0.1", port: 9)
        let socket = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        let farSocket = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        let statistics = MediaStatistics()
        let configuration = CallMediaConfiguration(
            remote: farSocket.localAddress, bindLoopbackOnly: true, sendKey: SRTPMasterKey.random(suite: key.suite), receiveKey: key,
            source: .tone(hertz: 440), playback: .none, cname: "test", mediaTimeoutSeconds: 0)
        let loop = try ReceiveLoop(configuration: configuration, socket: socket, statistics: statistics)
        let farSRTP = try SRTPSession(key: key, direction: .send)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }
        var random = SystemRandomNumberGenerator()
        let farPackets = 50, floodPerTick = 100
        let start = MonotonicClock.now()
        for tick in 0..<farPackets {
            // Each 20 ms: a burst of the flood, then the far end's packet, always behind it.
            for _ in 0..<floodPerTick {
                RTPHeader(payloadType: 111, sequenceNumber: .random(in: 0...UInt16.max, using: &random), timestamp: 0,
                          ssrc: .random(in: 1...UInt32.max, using: &random)).write(to: buffer)
                for i in 12..<112 { buffer[i] = .random(in: 0...255, using: &random) }
                _ = farSocket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<112]), to: socket.localAddress)
            }
            RTPHeader(payloadType: 111, sequenceNumber: UInt16(1000 + tick), timestamp: UInt32(tick * 960), ssrc: 0xFA2E_0001)
                .write(to: buffer)
            // An Opus TOC byte (CELT, 20 ms, one frame) and a few bytes of frame.
            buffer[12] = 0xF8
            for i in 13..<40 { buffer[i] = UInt8(truncatingIfNeeded: i) }
            let protected = try farSRTP.protect(buffer, length: 40)
            _ = farSocket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<protected]), to: socket.localAddress)
            for _ in 0...floodPerTick { loop.runOnce() }
            let next = start + UInt64(tick + 1) * AudioFormat.frameNanoseconds
            let now = MonotonicClock.now()
            if next > now { Thread.sleep(forTimeInterval: Double(next - now) / 1e9) }
        }
        let received = statistics.packetsReceived.load(ordering: .relaxed)
        let failures = statistics.authFailures.load(ordering: .relaxed)
        let refused = statistics.foreignSourcePackets.load(ordering: .relaxed)
        // The first packet finds one-off SSRCs ahead of it in its tick; the second follows on.
        #expect(received >= UInt64(farPackets - 2), "the far end was heard in \(received) of \(farPackets) packets")
        // One-off SSRCs get one try per tick only until the far end is known and talking.
        #expect(failures <= 4, "\(failures) flood datagrams reached SRTP")
        #expect(refused >= UInt64(farPackets * floodPerTick - 4))
    }
}
