#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A file descriptor the service manager passed at start (socket activation).
public struct ListenedFileDescriptor: Sendable, Equatable {
    /// The descriptor number in this process.
    public let fd: CInt
    /// The name from `FileDescriptorName=` in the socket unit (`LISTEN_FDNAMES`), or
    /// `"unknown"` when the manager passed none, as `sd_listen_fds_with_names(3)` does.
    public let name: String

    public init(fd: CInt, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Whether the descriptor is a listening Unix stream socket, the only kind the control
    /// server can take over.
    public var isListeningUnixStreamSocket: Bool {
        var type: CInt = 0
        var accepting: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == CInt(SOCK_STREAM.rawValue) else {
            return false
        }
        length = socklen_t(MemoryLayout<CInt>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting != 0 else {
            return false
        }
        var storage = sockaddr_storage()
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return named == 0 && storage.ss_family == sa_family_t(AF_UNIX)
    }
}

/// Socket activation: the descriptors systemd passes to a service started by a `.socket`
/// unit, read as `sd_listen_fds_with_names(3)` with `unset_environment` does.
public enum SocketActivation {
    /// The protocol's first passed descriptor (`SD_LISTEN_FDS_START`).
    public static let listenFDsStart: CInt = 3

    /// The descriptors passed to this process, in order, with their names.
    ///
    /// Honours `LISTEN_PID` (the variables are ignored unless it equals `processID`, since
    /// they may be inherited from a parent), `LISTEN_FDS` (the count, starting at
    /// `firstFD`) and `LISTEN_FDNAMES` (colon-separated). Each descriptor gets
    /// `FD_CLOEXEC` so it does not leak into children.
    ///
    /// - Parameters:
    ///   - environment: the variables to read; the process environment by default.
    ///   - processID: compared with `LISTEN_PID`.
    ///   - firstFD: the first descriptor; 3 in production. Tests pass a descriptor of their
    ///     own so that they need not replace the test process's descriptor 3.
    ///   - unsetEnvironment: remove `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` from the
    ///     process environment afterwards (whatever the result), so that children do not
    ///     believe the descriptors are theirs.
    /// - Returns: an empty array when the process was not socket-activated.
    /// - Throws: `SystemdError` when the variables are malformed or a descriptor is not open.
    public static func listenFileDescriptors(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        processID: pid_t = getpid(),
        firstFD: CInt = listenFDsStart,
        unsetEnvironment: Bool = true
    ) throws(SystemdError) -> [ListenedFileDescriptor] {
        defer {
            if unsetEnvironment {
                unsetenv("LISTEN_PID")
                unsetenv("LISTEN_FDS")
                unsetenv("LISTEN_FDNAMES")
            }
        }
        guard let pidText = environment["LISTEN_PID"], !pidText.isEmpty else { return [] }
        guard let pid = pid_t(pidText), pid > 0 else {
            throw .invalidEnvironment("LISTEN_PID", pidText, "expected a positive process ID")
        }
        guard pid == processID else { return [] }

        guard let countText = environment["LISTEN_FDS"] else { return [] }
        guard let count = CInt(countText), count >= 0, count <= CInt.max - firstFD else {
            throw .invalidEnvironment("LISTEN_FDS", countText, "expected a count of descriptors")
        }
        guard count > 0 else { return [] }

        var names = [String](repeating: "unknown", count: Int(count))
        if let namesText = environment["LISTEN_FDNAMES"] {
            let given = namesText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard given.count == Int(count) else {
                throw .invalidEnvironment(
                    "LISTEN_FDNAMES", namesText,
                    "names \(given.count) descriptors but LISTEN_FDS=\(count)")
            }
            names = given
        }

        var result: [ListenedFileDescriptor] = []
        result.reserveCapacity(Int(count))
        for index in 0..<count {
            let fd = firstFD + index
            let flags = try systemCall("fcntl(\(fd), F_GETFD)") { fcntl(fd, F_GETFD) }
            if flags & FD_CLOEXEC == 0 {
                try systemCall("fcntl(\(fd), F_SETFD)") { fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
            }
            result.append(ListenedFileDescriptor(fd: fd, name: names[Int(index)]))
        }
        return result
    }
}

extension Array where Element == ListenedFileDescriptor {
    /// The descriptor named `name` (`FileDescriptorName=`); when none has that name and
    /// exactly one unnamed descriptor was passed, that one.
    public func descriptor(named name: String) -> ListenedFileDescriptor? {
        if let match = first(where: { $0.name == name }) { return match }
        if count == 1, self[0].name == "unknown" { return self[0] }
        return nil
    }
}
