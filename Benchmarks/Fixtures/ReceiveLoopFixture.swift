import MediaCore
import MediaEngine

/// The production receive path of one call, as the media thread runs it:
/// `ReceiveLoop.runOnce()` takes a datagram from a loopback UDP socket, demultiplexes
/// RTP/RTCP (RFC 5761), refuses by the clear header what it can, unprotects the rest with
/// replay protection, parses it and hands it to the jitter buffer. Playout and decode run
/// on the 20 ms wall-clock tick (playback `none`), so a batch delivered in a few
/// milliseconds is mostly buffered, and resynchronised every 64 packets, not played.
///
/// Each datagram is sent from the far end's socket and taken by one `runOnce()`, inside the
/// measured region (`sendto` on loopback allocates nothing).
public final class ReceiveLoopFixture {
    /// What arrives at the call's port.
    public enum Traffic: Sendable {
        /// The far end's real stream: every packet authenticates.
        case farEnd
        /// A flood of datagrams that must all be refused, while the far end (known from its
        /// first packets) is silent: random bytes, truncated and replayed packets of the far
        /// end, its packets with another SSRC, forged and replayed SRTCP — each kind in turn.
        case garbage
    }

    public let loop: ReceiveLoop
    public let statistics = MediaStatistics()
    private let socket: UDPSocket
    private let farSocket: UDPSocket
    private let farEnd: FarEndStream
    private let traffic: Traffic
    private let count: Int
    /// The garbage batch: built once, the same every iteration (refused each time alike).
    private let garbage: UnsafeMutableRawBufferPointer
    private var garbageLengths: [Int] = []

    public init(key: SRTPMasterKey, traffic: Traffic, count: Int) throws {
        self.traffic = traffic
        self.count = count
        let loopback = try SocketAddress(host: "127.0.0.1", port: 9)
        socket = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        farSocket = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        farEnd = try FarEndStream(key: key, capacity: count)
        let configuration = CallMediaConfiguration(
            remote: farSocket.localAddress, bindLoopbackOnly: true, sendKey: SRTPMasterKey.random(suite: key.suite), receiveKey: key,
            source: .tone(hertz: 440), playback: .none, cname: "benchmark", mediaTimeoutSeconds: 0)
        loop = try ReceiveLoop(configuration: configuration, socket: socket, statistics: statistics)
        garbage = .allocate(byteCount: count * FarEndStream.slotSize, alignment: 8)
        garbage.initializeMemory(as: UInt8.self, repeating: 0)

        // The far end's first packets and report, received once: what the replays repeat.
        try farEnd.prepare(count: 16)
        let report = try farEnd.protectedReport()
        for i in 0..<16 { deliver(farEnd.packet(i)) }
        report.withUnsafeBytes { deliver($0) }
        guard statistics.packetsReceived.load(ordering: .relaxed) == 16, statistics.rtcpReceived.load(ordering: .relaxed) == 1 else {
            throw ReceiveLoopFixtureError(description: "the far end's own packets were not received: \(statistics.snapshot)")
        }
        if traffic == .garbage { try buildGarbage(replayed: report) }
    }

    deinit { garbage.deallocate() }

    /// Outside the measurement: the far end's next batch (fresh sequence numbers).
    public func prepare() throws {
        if traffic == .farEnd { try farEnd.prepare(count: count) }
    }

    /// Sends the batch, one datagram at a time, each taken by one `runOnce()`.
    @inline(__always)
    public func deliverBatch() {
        switch traffic {
        case .farEnd:
            for i in 0..<count { deliver(farEnd.packet(i)) }
        case .garbage:
            for i in 0..<count {
                deliver(UnsafeRawBufferPointer(rebasing: garbage[(i * FarEndStream.slotSize)..<(i * FarEndStream.slotSize + garbageLengths[i])]))
            }
        }
    }

    @inline(__always)
    private func deliver(_ datagram: UnsafeRawBufferPointer) {
        _ = farSocket.send(datagram, to: socket.localAddress)
        loop.runOnce()
    }

    private func buildGarbage(replayed report: [UInt8]) throws {
        var random = SystemRandomNumberGenerator()
        for i in 0..<count {
            let slot = UnsafeMutableRawBufferPointer(rebasing: garbage[(i * FarEndStream.slotSize)..<((i + 1) * FarEndStream.slotSize)])
            let original = farEnd.packet(i % 16)
            var length: Int
            switch i % 6 {
            case 0:  // Random bytes with an RTP version, any length up to a slot.
                length = Int.random(in: 1...FarEndStream.slotSize, using: &random)
                for j in 0..<length { slot[j] = UInt8.random(in: 0...255, using: &random) }
                slot[0] = 0x80 | (slot[0] & 0x3F)
                if length > 1 && RTPDemultiplexer.isRTCP(UnsafeRawBufferPointer(slot)) { slot[1] = 111 }
            case 1:  // The far end's packet cut short (a sequence number already received: a replay to libsrtp2).
                length = Int.random(in: 1..<original.count, using: &random)
                slot.copyMemory(from: UnsafeRawBufferPointer(rebasing: original[0..<length]))
            case 2:  // The far end's packet again: a replay.
                length = original.count
                slot.copyMemory(from: original)
            case 3:  // The far end's packet claiming another source.
                length = original.count
                slot.copyMemory(from: original)
                slot.storeBytes(of: UInt32.random(in: 0...UInt32.max, using: &random), toByteOffset: 8, as: UInt32.self)
            case 4:  // A forged SRTCP sender report: right shape, random index and tag.
                length = 8 + 20 + 4 + 10
                for j in 0..<length { slot[j] = UInt8.random(in: 0...255, using: &random) }
                slot[0] = 0x80
                slot[1] = 200
                slot.storeBytes(of: UInt16(6).bigEndian, toByteOffset: 2, as: UInt16.self)
            default:  // The far end's report again: an SRTCP replay.
                length = report.count
                report.withUnsafeBytes { slot.copyMemory(from: $0) }
            }
            garbageLengths.append(length)
        }
        // Once outside the measurement: nothing of the flood may be taken as media.
        let counters = { [statistics] in
            (received: statistics.packetsReceived.load(ordering: .relaxed) + statistics.rtcpReceived.load(ordering: .relaxed),
             refused: statistics.malformedPackets.load(ordering: .relaxed) + statistics.replayedPackets.load(ordering: .relaxed)
                + statistics.foreignSourcePackets.load(ordering: .relaxed) + statistics.authFailures.load(ordering: .relaxed))
        }
        let before = counters()
        deliverBatch()
        let after = counters()
        guard after.received == before.received, after.refused - before.refused == UInt64(count) else {
            throw ReceiveLoopFixtureError(description: "the flood was not all refused: before \(before), after \(after)")
        }
    }
}

/// The fixture's own packets did not behave as the receive path must treat them.
public struct ReceiveLoopFixtureError: Error, CustomStringConvertible {
    public let description: String
}
