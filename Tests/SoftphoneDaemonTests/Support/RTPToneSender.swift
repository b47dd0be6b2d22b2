import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine

/// A far end that sends SRTP Opus every 20 ms on absolute deadlines, silence or a tone as
/// the test switches it, and notes when the first tone packet of each switch left.
final class RTPToneSender: @unchecked Sendable {
    let socket: UDPSocket
    private let lock = NSLock()
    private var currentKey: SRTPMasterKey
    private var payloadType: UInt8 = 111
    private var destination: SocketAddress?
    private var toneOn = false
    private var onsetSentAt: UInt64 = 0
    private var onsetPending = false
    private let loops = ThreadLoops()

    init(key: SRTPMasterKey = .random(suite: .aesCM128HMACSHA1_80)) throws {
        currentKey = key
        socket = try UDPSocket(localPort: 0, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true)
        loops.start { [unowned self] in self.loop() }
    }

    var port: UInt16 { socket.localAddress.port }

    func send(to address: SocketAddress) { lock.withLock { destination = address } }

    /// The key it sends with; a new one takes effect from the next packet (a renegotiation).
    var key: SRTPMasterKey {
        get { lock.withLock { currentKey } }
        set { lock.withLock { currentKey = newValue } }
    }

    /// Sends with another payload type from the next packet.
    func setPayloadType(_ type: UInt8) { lock.withLock { payloadType = type } }

    /// Switches the tone on or off from the next frame.
    func setTone(_ on: Bool) {
        lock.withLock {
            if on && !toneOn { onsetPending = true }
            toneOn = on
        }
    }

    /// When the first packet carrying the tone after the last `setTone(true)` was sent (0: not yet).
    var onset: UInt64 { lock.withLock { onsetPending ? 0 : onsetSentAt } }

    private func loop() {
        var sessionKey = key
        var srtp = try! SRTPSession(key: sessionKey, direction: .send)
        let encoder = try! OpusEncoder(settings: OpusSettings())
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        var pcm = [Int16](repeating: 0, count: 960)
        defer { buffer.deallocate() }
        let ssrc = UInt32.random(in: 1...UInt32.max)
        var sequence = UInt16.random(in: 0...UInt16.max)
        var timestamp = UInt32.random(in: 0...UInt32.max)
        var phase = 0.0
        var deadline = MonotonicClock.now()
        while loops.running {
            let (target, tone, wantedKey, type) = lock.withLock { (destination, toneOn, currentKey, payloadType) }
            if wantedKey != sessionKey {
                sessionKey = wantedKey
                srtp = try! SRTPSession(key: sessionKey, direction: .send)
            }
            for i in 0..<960 {
                pcm[i] = tone ? Int16(sin(phase) * 10_000) : 0
                phase += 2 * Double.pi * 1000 / 48_000
            }
            RTPHeader(payloadType: type, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc).write(to: buffer)
            let encoded = pcm.withUnsafeBufferPointer { samples in
                (try? encoder.encode(samples.baseAddress!, into: UnsafeMutableRawBufferPointer(rebasing: buffer[12..<(1500 - SRTPSession.maxTrailer)]))) ?? 0
            }
            if let target, encoded > 0, let length = try? srtp.protect(buffer, length: 12 + encoded) {
                _ = socket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), to: target)
                let sentAt = MonotonicClock.now()
                lock.withLock {
                    if tone && onsetPending {
                        onsetPending = false
                        onsetSentAt = sentAt
                    }
                }
                sequence &+= 1
                timestamp &+= 960
            }
            deadline += 20_000_000
            let now = MonotonicClock.now()
            if deadline > now { Thread.sleep(forTimeInterval: Double(deadline - now) / 1e9) }
        }
    }

    func stop() { loops.stop() }

    deinit { stop() }
}
