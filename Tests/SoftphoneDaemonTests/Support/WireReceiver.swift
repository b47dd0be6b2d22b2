import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine

/// The far end as a test sees it: every datagram that left softphoned's socket,
/// authenticated and decrypted with libsrtp and decoded with libopus, with its arrival time.
final class WireReceiver: @unchecked Sendable {
    struct Packet {
        var sequence: UInt16
        var timestamp: UInt32
        var marker: Bool
        var payloadType: UInt8
        var ssrc: UInt32
        var arrival: UInt64
        /// Largest absolute decoded sample (0 = exact digital silence).
        var peak: Int
        var rmsDBFS: Double
        /// The decrypted payload as it arrived (RFC 4733 events are read from it).
        var payload: [UInt8] = []
    }

    let socket: UDPSocket
    private(set) var key: SRTPMasterKey
    private let lock = NSLock()
    private var packets: [Packet] = []
    private var rtcpArrivals: [UInt64] = []
    private var byeSeen = false
    private var failures = 0
    /// True from `start(key:)` until `stop()`.
    private let loops = ThreadLoops()

    /// - Parameter localPort: 0 for any free port.
    convenience init(key: SRTPMasterKey, localPort: UInt16 = 0) throws {
        try self.init(localPort: localPort)
        start(key: key)
    }

    /// Binds now; decrypts once `start(key:)` names the key. A call answered over SDP names
    /// its sending key only in its answer, and its first packets may leave before the test
    /// reads it: they wait in the socket meanwhile.
    init(localPort: UInt16 = 0) throws {
        key = .random(suite: .aesCM128HMACSHA1_80)
        socket = try UDPSocket(localPort: localPort, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true)
    }

    /// Starts decrypting with `key` (once).
    func start(key: SRTPMasterKey) {
        self.key = key
        loops.start { [unowned self] in self.loop() }
    }

    var port: UInt16 { socket.localAddress.port }

    private func loop() {
        let srtp = try! SRTPSession(key: key, direction: .receive)
        let decoder = try! OpusDecoder()
        var buffer = [UInt8](repeating: 0, count: 2048)
        var pcm = [Int16](repeating: 0, count: 5760)
        while loops.running {
            let received = buffer.withUnsafeMutableBytes { socket.receive(into: $0, timeoutMilliseconds: 20) }
            guard let length = received else { continue }
            let arrival = MonotonicClock.now()
            if buffer.withUnsafeBytes({ RTPDemultiplexer.isRTCP(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }) {
                let plain = try? buffer.withUnsafeMutableBytes { try srtp.unprotectRTCP($0, length: length) }
                lock.withLock {
                    if let plain {
                        rtcpArrivals.append(arrival)
                        if buffer[0..<plain].withUnsafeBytes({ compound in
                            var bye = false
                            RTCPPacket.forEachPacket(in: compound) { if $0.type == RTCPPacket.goodbye { bye = true } }
                            return bye
                        }) { byeSeen = true }
                    } else {
                        failures += 1
                    }
                }
                continue
            }
            guard let plain = try? buffer.withUnsafeMutableBytes({ try srtp.unprotect($0, length: length) }),
                  let (header, payload) = buffer.withUnsafeBytes({ RTPHeader.parse(UnsafeRawBufferPointer(rebasing: $0[0..<plain])) }) else {
                lock.withLock { failures += 1 }
                continue
            }
            let samples = (try? buffer.withUnsafeBytes { bytes in
                try pcm.withUnsafeMutableBufferPointer { try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[payload]), into: $0) }
            }) ?? 0
            let frame = pcm[0..<samples]
            let peak = frame.map { abs(Int($0)) }.max() ?? 0
            let level = frame.withUnsafeBufferPointer { AudioAnalysis.rmsDBFS(UnsafeBufferPointer(rebasing: $0[...])) }
            lock.withLock {
                packets.append(Packet(sequence: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker,
                                      payloadType: header.payloadType, ssrc: header.ssrc, arrival: arrival, peak: peak, rmsDBFS: level,
                                      payload: Array(buffer[payload])))
            }
        }
    }

    var received: [Packet] { lock.withLock { packets } }
    var rtcp: [UInt64] { lock.withLock { rtcpArrivals } }
    var sawBye: Bool { lock.withLock { byeSeen } }
    var authenticationFailures: Int { lock.withLock { failures } }

    /// Waits until `count` packets arrived (or the timeout).
    func wait(forPackets count: Int, timeout: Double = 10) async throws -> Bool {
        try await eventually(timeout: .seconds(timeout), poll: .milliseconds(20)) { received.count >= count }
    }

    func stop() { loops.stop() }

    deinit { stop() }
}
