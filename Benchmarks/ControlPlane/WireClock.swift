import Foundation
import MediaCore
import MediaEngine
import Synchronization

/// The far end of the benchmark's call: a UDP socket on 127.0.0.1 that only receives and
/// timestamps (monotonic clock, the daemon's own time base) every RTP packet that arrives.
/// It does not decrypt: the RTP header (sequence number, marker bit) travels in the clear
/// in SRTP, and arrival times are all the benchmarks need.
final class WireClock: Sendable {
    /// One RTP packet as it arrived.
    struct Arrival: Sendable {
        var at: UInt64
        var sequence: UInt16
        var marker: Bool
    }

    private let socket: UDPSocket
    private let arrivals = Mutex<[Arrival]>([])
    private let running = Atomic<Bool>(true)
    private let stopped = DispatchSemaphore(value: 0)

    init() throws {
        socket = try UDPSocket(localPort: 0, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true)
        arrivals.withLock { $0.reserveCapacity(16_384) }
        let thread = Thread { [self] in loop() }
        thread.name = "wire-clock"
        thread.start()
    }

    /// Where the daemon's call sends its media.
    var address: SocketAddress {
        get throws { try SocketAddress(host: "127.0.0.1", port: socket.localAddress.port) }
    }

    private func loop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer {
            buffer.deallocate()
            stopped.signal()
        }
        while running.load(ordering: .relaxed) {
            guard let length = socket.receive(into: buffer, timeoutMilliseconds: 50) else { continue }
            let at = MonotonicClock.now()
            let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            guard length >= 12, !RTPDemultiplexer.isRTCP(packet) else { continue }
            let arrival = Arrival(at: at, sequence: UInt16(packet[2]) << 8 | UInt16(packet[3]), marker: packet[1] & 0x80 != 0)
            arrivals.withLock { $0.append(arrival) }
        }
    }

    /// The RTP packets that arrived in `[from, to)` (monotonic ns), oldest first.
    func arrivals(from: UInt64, to: UInt64 = .max) -> [Arrival] {
        arrivals.withLock { all in
            // Arrivals are appended in time order: search from the end, where recent ones are.
            var start = all.endIndex
            while start > all.startIndex, all[start - 1].at >= from { start -= 1 }
            return all[start...].filter { $0.at < to }
        }
    }

    /// The last RTP packet that arrived before `time`, if any.
    func lastArrival(before time: UInt64) -> Arrival? {
        arrivals.withLock { all in all.last { $0.at < time } }
    }

    /// Blocks until an RTP packet arrives at or after `time`, or `timeout` (ns) passes.
    func firstArrival(atOrAfter time: UInt64, timeout: UInt64) -> Arrival? {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            if let first = arrivals(from: time).first { return first }
            usleep(500)
        }
        return nil
    }

    /// The largest gap between consecutive RTP arrivals in `[from, to)`, in ns.
    func largestGap(from: UInt64, to: UInt64) -> UInt64 {
        let window = arrivals(from: from, to: to)
        var largest: UInt64 = 0
        for (earlier, later) in zip(window, window.dropFirst()) { largest = max(largest, later.at - earlier.at) }
        return largest
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        stopped.wait()
    }
}
