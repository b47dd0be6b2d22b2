import DaemonTestSupport
import Foundation
import MediaEngine
import Synchronization

/// A plain UDP socket on 127.0.0.1 that records every datagram it receives, with its
/// arrival time, on a thread of its own: the wire as a far end sees it.
///
/// Nothing is decrypted here; `SRTPFarEnd` turns the recording into RTP headers, RTCP
/// packets and decoded audio afterwards.
public final class DatagramCollector: Sendable {
    /// One datagram as it arrived.
    public struct Datagram: Sendable {
        public let bytes: [UInt8]
        /// `MonotonicClock.now()` when it was read.
        public let arrival: UInt64
    }

    /// Where to send: 127.0.0.1 and the collector's port.
    public let address: SocketAddress
    private let socket: UDPSocket
    private let state = State()

    /// Shared between the test and the receiving thread (`Mutex` and `Atomic` cannot be
    /// captured by value).
    private final class State: Sendable {
        let received = Mutex<[Datagram]>([])
        let running = Atomic<Bool>(true)
        let finished = DispatchSemaphore(value: 0)
    }

    /// Binds an ephemeral port on the loopback interface and starts recording.
    public init() throws {
        let loopback = try SocketAddress("127.0.0.1:9")
        socket = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        address = try SocketAddress(host: "127.0.0.1", port: socket.localAddress.port)
        let socket = self.socket, state = self.state
        let thread = Thread {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
            defer { buffer.deallocate() }
            while state.running.load(ordering: .relaxed) {
                guard let n = socket.receive(into: buffer, timeoutMilliseconds: 50) else { continue }
                let datagram = Datagram(bytes: Array(buffer[0..<n]), arrival: MonotonicClock.now())
                state.received.withLock { $0.append(datagram) }
            }
            state.finished.signal()
        }
        thread.name = "test-datagram-collector"
        thread.start()
    }

    /// Everything received so far, in arrival order.
    public var datagrams: [Datagram] { state.received.withLock { $0 } }

    /// How many datagrams have arrived so far.
    public var count: Int { state.received.withLock { $0.count } }

    /// Polls until `condition` holds for the datagrams received so far, or `timeout` seconds pass.
    /// - Returns: whether the condition was met.
    @discardableResult
    public func wait(timeout: Double, until condition: ([Datagram]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if state.received.withLock({ condition($0) }) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return state.received.withLock { condition($0) }
    }

    /// `wait` for async code: polls with `Task.sleep`, never holding a thread.
    /// - Returns: whether the condition was met within `timeout`.
    @discardableResult
    public func arrived(within timeout: Duration, until condition: ([Datagram]) -> Bool) async throws -> Bool {
        try await eventually(timeout: timeout, poll: .milliseconds(20)) { state.received.withLock { condition($0) } }
    }

    /// Stops the receiving thread (idempotent).
    public func stop() {
        if state.running.exchange(false, ordering: .relaxed) {
            state.finished.wait()
        }
    }

    deinit { stop() }
}
