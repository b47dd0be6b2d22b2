import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine

/// A lossy middlebox between two softphoned instances on 127.0.0.1.
///
/// It has two sockets: `sideA` is where A sends (A's SDP names it as B's address) and
/// `sideB` where B sends. What arrives on one side leaves from the other, so each peer
/// sees the relay as the other peer. RTP from A to B may be dropped at random and adjacent
/// packets swapped; RTCP and the other direction pass untouched.
final class UDPRelay: @unchecked Sendable {
    struct Impairment {
        /// Probability that an RTP packet from A to B is dropped.
        var loss: Double = 0
        /// Probability that an RTP packet from A to B is held back and sent after the next one.
        var swap: Double = 0
    }

    let sideA: UDPSocket
    let sideB: UDPSocket
    private let lock = NSLock()
    private var targetA: SocketAddress?
    private var targetB: SocketAddress?
    private var impairment: Impairment
    private var forwardedCount = 0
    private var droppedCount = 0
    private var swappedCount = 0
    private let loops = ThreadLoops()

    init(impairment: Impairment) throws {
        self.impairment = impairment
        let loopback = try SocketAddress(host: "127.0.0.1", port: 9)
        sideA = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        sideB = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        loops.start { [unowned self] in self.forward(from: self.sideA, via: self.sideB, impaired: true, to: { $0.targetB }) }
        loops.start { [unowned self] in self.forward(from: self.sideB, via: self.sideA, impaired: false, to: { $0.targetA }) }
    }

    /// Where the peers really receive; packets for an unknown peer are dropped.
    func connect(a: SocketAddress, b: SocketAddress) {
        lock.withLock {
            targetA = a
            targetB = b
        }
    }

    var counts: (forwarded: Int, dropped: Int, swapped: Int) { lock.withLock { (forwardedCount, droppedCount, swappedCount) } }

    private func forward(from input: UDPSocket, via output: UDPSocket, impaired: Bool, to target: (UDPRelay) -> SocketAddress?) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        let held = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer {
            buffer.deallocate()
            held.deallocate()
        }
        var heldLength = 0
        var generator = SystemRandomNumberGenerator()
        while loops.running {
            let received = input.receive(into: buffer, timeoutMilliseconds: 5)
            let (destination, settings) = lock.withLock { (target(self), impairment) }
            guard let destination else { continue }
            guard let length = received else {
                // Nothing came to overtake the held packet: let it go now.
                if heldLength > 0 {
                    send(held, heldLength, output, destination)
                    heldLength = 0
                }
                continue
            }
            let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            let isRTP = length >= 12 && !RTPDemultiplexer.isRTCP(packet)
            if impaired && isRTP {
                if Double.random(in: 0..<1, using: &generator) < settings.loss {
                    lock.withLock { droppedCount += 1 }
                    continue
                }
                if heldLength == 0 && Double.random(in: 0..<1, using: &generator) < settings.swap {
                    held.copyMemory(from: packet)
                    heldLength = length
                    lock.withLock { swappedCount += 1 }
                    continue
                }
            }
            send(buffer, length, output, destination)
            if heldLength > 0 {
                send(held, heldLength, output, destination)
                heldLength = 0
            }
        }
    }

    private func send(_ bytes: UnsafeMutableRawBufferPointer, _ length: Int, _ socket: UDPSocket, _ destination: SocketAddress) {
        _ = socket.send(UnsafeRawBufferPointer(rebasing: bytes[0..<length]), to: destination)
        lock.withLock { forwardedCount += 1 }
    }

    func stop() { loops.stop() }

    deinit { stop() }
}
