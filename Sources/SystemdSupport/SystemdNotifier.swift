#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Sends service state notifications to the service manager, as `sd_notify(3)` does,
/// without linking libsystemd.
///
/// The manager's socket comes from `$NOTIFY_SOCKET`: an absolute path, or `@name` for an
/// abstract socket. Without it every call is a no-op, so the daemon runs unchanged outside
/// systemd. Messages are newline-separated `KEY=VALUE` assignments in one datagram.
///
/// Sending never blocks (`MSG_DONTWAIT`) and never fails the caller: a message that cannot
/// be delivered is counted in ``failureCount`` and otherwise ignored, because losing a
/// status line must not take the media down. The notifier is safe to use from any thread.
public final class SystemdNotifier: Sendable {
    /// The address messages go to (`$NOTIFY_SOCKET`), or `nil` when notifications are off.
    public let address: String?
    /// Why the environment's `NOTIFY_SOCKET` could not be used, when it could not.
    public let setupError: SystemdError?

    private let socket: CInt
    /// `sun_path` bytes, including the leading NUL for abstract sockets.
    private let pathBytes: [UInt8]
    private let sent = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let lastErrno = Atomic<Int32>(0)

    /// Creates a notifier that sends to `address`.
    /// - Parameter address: an absolute path or `@abstract-name`; `nil` or empty disables
    ///   notifications.
    /// - Throws: `SystemdError` when the address is malformed or the socket cannot be made.
    public init(address: String?) throws(SystemdError) {
        guard let address, !address.isEmpty else {
            self.address = nil
            self.setupError = nil
            self.socket = -1
            self.pathBytes = []
            return
        }
        var bytes: [UInt8]
        if address.hasPrefix("/") {
            bytes = Array(address.utf8)
        } else if address.hasPrefix("@") {
            bytes = [0] + Array(address.utf8.dropFirst())
        } else {
            throw .unsupportedAddress(address)
        }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        // A path needs room for its terminating NUL; an abstract name uses every byte.
        if bytes.count > capacity - (bytes.first == 0 ? 0 : 1) {
            throw .invalidEnvironment("NOTIFY_SOCKET", address, "longer than a Unix socket address allows")
        }
        if bytes.count < 2 && bytes.first == 0 {
            throw .invalidEnvironment("NOTIFY_SOCKET", address, "empty abstract socket name")
        }
        self.socket = try systemCall("socket(AF_UNIX, SOCK_DGRAM)") {
            Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        self.address = address
        self.setupError = nil
        self.pathBytes = bytes
    }

    private init(disabledBy error: SystemdError) {
        self.address = nil
        self.setupError = error
        self.socket = -1
        self.pathBytes = []
    }

    /// A notifier for `$NOTIFY_SOCKET` in `environment`. A malformed value gives a disabled
    /// notifier whose ``setupError`` says why, so that the daemon can log it and go on.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> SystemdNotifier {
        do {
            return try SystemdNotifier(address: environment["NOTIFY_SOCKET"])
        } catch {
            return SystemdNotifier(disabledBy: error)
        }
    }

    deinit {
        if socket >= 0 { close(socket) }
    }

    /// Whether messages are sent at all (`NOTIFY_SOCKET` was set and usable).
    public var isEnabled: Bool { socket >= 0 }

    /// Datagrams delivered to the manager's socket so far.
    public var sentCount: Int { sent.load(ordering: .relaxed) }

    /// Datagrams that could not be delivered (manager gone, queue full, …).
    public var failureCount: Int { failed.load(ordering: .relaxed) }

    /// The `errno` of the last failed send, or 0.
    public var lastFailureErrno: Int32 { lastErrno.load(ordering: .relaxed) }

    /// Sends raw assignments, e.g. `"READY=1\nSTATUS=idle"`.
    /// - Returns: `true` when the datagram was handed to the kernel; `false` when
    ///   notifications are off or the send failed (the failure is counted).
    @discardableResult
    public func send(_ assignments: String) -> Bool {
        guard socket >= 0 else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        // Abstract names are exactly as long as given; paths include the NUL terminator.
        let length = pathOffset + pathBytes.count + (pathBytes.first == 0 ? 0 : 1)
        var message = assignments
        let result = message.withUTF8 { body in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    var result: Int
                    repeat {
                        result = sendto(socket, body.baseAddress, body.count,
                                        Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL), sa, socklen_t(length))
                    } while result < 0 && errno == EINTR
                    return result < 0 ? -errno : 0
                }
            }
        }
        if result < 0 {
            failed.add(1, ordering: .relaxed)
            lastErrno.store(Int32(-result), ordering: .relaxed)
            return false
        }
        sent.add(1, ordering: .relaxed)
        return true
    }

    /// `READY=1`: start-up is complete (the control socket serves). Also ends a reload.
    /// - Parameter status: an optional `STATUS=` line sent in the same datagram.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        send(Self.withStatus("READY=1", status))
    }

    /// `STATUS=…`: a line a person can read in `systemctl status`.
    @discardableResult
    public func status(_ text: String) -> Bool {
        send(Self.statusAssignment(text))
    }

    /// `WATCHDOG=1`: the service is alive; resets the manager's watchdog timer.
    @discardableResult
    public func watchdog() -> Bool {
        send("WATCHDOG=1")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (required by `Type=notify-reload` and accepted
    /// by older managers): configuration reload has begun; send ``ready(status:)`` when done.
    @discardableResult
    public func reloading(status: String? = nil) -> Bool {
        send(Self.withStatus("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())", status))
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        send(Self.withStatus("STOPPING=1", status))
    }

    /// `EXTEND_TIMEOUT_USEC=…`: asks for more time to finish starting or stopping.
    @discardableResult
    public func extendTimeout(by duration: Duration) -> Bool {
        send("EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))")
    }

    static func withStatus(_ assignments: String, _ status: String?) -> String {
        guard let status else { return assignments }
        return assignments + "\n" + statusAssignment(status)
    }

    /// One `STATUS=` line; newlines would start a new assignment, so they become spaces.
    static func statusAssignment(_ text: String) -> String {
        "STATUS=" + text.replacingOccurrences(of: "\n", with: " ")
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares `MONOTONIC_USEC` with.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000_000
    }
}
