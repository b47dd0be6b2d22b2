#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The manager's side of sd_notify for tests: a real AF_UNIX datagram socket bound to a
/// path in a fresh temporary directory, or to an abstract name.
final class NotifyReceiver: @unchecked Sendable {
    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    let fd: CInt
    /// The value for `NOTIFY_SOCKET`.
    let address: String
    private let directory: String?

    init(abstract: Bool = false) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SetupError(description: "socket: errno \(errno)") }
        var bytes: [UInt8]
        if abstract {
            let name = "softphoned-test-\(getpid())-\(UUID().uuidString.prefix(8))"
            address = "@" + name
            bytes = [0] + Array(name.utf8)
            directory = nil
        } else {
            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("sdn-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            directory = dir
            address = dir + "/notify"
            bytes = Array(address.utf8) + [0]
        }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &sa.sun_path) { $0.copyBytes(from: bytes) }
        let length = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
        }
        guard rc == 0 else {
            let error = errno
            close(fd)
            throw SetupError(description: "bind \(address): errno \(error)")
        }
    }

    deinit {
        close(fd)
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The next datagram, or `nil` when none arrives within `timeout`.
    func receive(timeout: Duration = .seconds(5)) -> String? {
        let millis = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var ready: Int32
        repeat { ready = poll(&pfd, 1, millis) } while ready < 0 && errno == EINTR
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// The next datagram, or `nil` after `timeout`, without blocking a thread of the
    /// cooperative pool (the service under test needs those threads to run).
    func next(timeout: Duration = .seconds(10)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = receive(timeout: .zero) { return message }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return receive(timeout: .zero)
    }

    /// Every datagram already queued, without waiting.
    func drain() -> [String] {
        var messages: [String] = []
        while let message = receive(timeout: .zero) { messages.append(message) }
        return messages
    }
}
