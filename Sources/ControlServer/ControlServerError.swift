#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the control server could not start or serve.
public struct ControlServerError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case alreadyServing
        case notASocket
        case syscall
        case configuration
        case unknownGroup
    }

    private let code: Code
    /// A sentence naming the path, call or setting concerned.
    public let message: String
    /// The `errno` of a failed system call, if that was the cause.
    public let errnoValue: Int32?

    private init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errnoValue = errno
    }

    public var description: String { message }

    /// Another process answers on the socket path.
    public var isAlreadyServing: Bool { code == .alreadyServing }

    static func alreadyServing(_ path: String) -> Self {
        .init(.alreadyServing, "control socket \(path) is in use: another softphoned is already serving there")
    }

    static func notASocket(_ path: String) -> Self {
        .init(.notASocket, "control socket path \(path) exists and is not a socket; refusing to replace it")
    }

    static func syscall(_ call: String, _ subject: String, errno: Int32) -> Self {
        .init(.syscall, "\(call)(\(subject)) failed: \(String(cString: strerror(errno))) (errno \(errno))", errno: errno)
    }

    static func configuration(_ message: String) -> Self {
        .init(.configuration, message)
    }

    static func unknownGroup(_ name: String) -> Self {
        .init(.unknownGroup, "control.allowed-group \"\(name)\" is not a known group")
    }
}

/// Runs a system call, retrying on `EINTR`, and throws ``ControlServerError`` with `errno` otherwise.
@discardableResult
func posixCall<T: BinaryInteger>(_ call: String, _ subject: String, _ body: () -> T) throws(ControlServerError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = errno
        if error == EINTR { continue }
        throw ControlServerError.syscall(call, subject, errno: error)
    }
}
