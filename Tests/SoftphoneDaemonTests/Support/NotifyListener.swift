import DaemonTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The service manager's end of `NOTIFY_SOCKET`: a real `AF_UNIX` datagram socket bound in
/// a test directory that records every notification softphoned sends, with its arrival time.
final class NotifyListener: @unchecked Sendable {
    struct Message {
        /// The assignments, e.g. `["READY=1", "STATUS=idle"]`.
        var assignments: [String]
        /// When the datagram was read.
        var at: Date

        func has(_ assignment: String) -> Bool { assignments.contains(assignment) }
        /// The `STATUS=` text, if the message carries one.
        var status: String? { assignments.first { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) } }
    }

    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [Message] = []
    private let loops = ThreadLoops()

    /// Binds `path` and starts reading.
    init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw DaemonProcessError("socket(AF_UNIX, SOCK_DGRAM): \(String(cString: strerror(errno)))") }
        guard (try? UnixSocketAddress.with(path, { bind(fd, $0, $1) })) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw DaemonProcessError("bind(\(path)): \(String(cString: strerror(error)))")
        }
        // A short receive timeout lets the reader thread notice `stop()`.
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        loops.start { [unowned self] in self.loop() }
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while loops.running {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            let message = Message(assignments: text.split(separator: "\n").map(String.init), at: Date())
            lock.withLock { messages.append(message) }
        }
    }

    /// Every message so far, oldest first.
    var received: [Message] { lock.withLock { messages } }

    /// Waits for the first message from index `from` on that satisfies `predicate`.
    /// - Returns: its index and the message, or `nil` after `timeout` seconds.
    func wait(from: Int = 0, timeout: Double = 10, where predicate: (Message) -> Bool) async throws -> (index: Int, message: Message)? {
        var found: (index: Int, message: Message)?
        _ = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(5)) {
            let all = received
            guard from < all.count, let index = all[from...].firstIndex(where: predicate) else { return false }
            found = (index, all[index])
            return true
        }
        return found
    }

    /// Waits for a message carrying `assignment` (e.g. `READY=1`).
    func wait(for assignment: String, from: Int = 0, timeout: Double = 10) async throws -> (index: Int, message: Message)? {
        try await wait(from: from, timeout: timeout) { $0.has(assignment) }
    }

    func stop() {
        if loops.stop() {
            Glibc.close(fd)
            unlink(path)
        }
    }

    deinit { stop() }
}
