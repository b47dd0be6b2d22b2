#if canImport(Glibc)
import Glibc
#endif

/// An error from the systemd integration: a malformed variable that systemd set for the
/// service, or a failed system call with its `errno`.
public struct SystemdError: Error, CustomStringConvertible, Equatable {
    private enum Code: Equatable {
        case invalidEnvironment(variable: String, value: String, reason: String)
        case systemCall(call: String, errno: CInt)
        case unsupportedAddress(String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// A variable in the environment that does not have the form systemd documents.
    static func invalidEnvironment(_ variable: String, _ value: String, _ reason: String) -> SystemdError {
        SystemdError(.invalidEnvironment(variable: variable, value: value, reason: reason))
    }

    /// A system call that failed with `errno`.
    static func systemCall(_ call: String, errno: CInt) -> SystemdError {
        SystemdError(.systemCall(call: call, errno: errno))
    }

    /// A `NOTIFY_SOCKET` address this implementation cannot reach (e.g. `vsock:`).
    static func unsupportedAddress(_ address: String) -> SystemdError {
        SystemdError(.unsupportedAddress(address))
    }

    /// The `errno` of a failed system call, `nil` for other errors.
    public var errno: CInt? {
        if case .systemCall(_, let errno) = code { return errno }
        return nil
    }

    public var description: String {
        switch code {
        case .invalidEnvironment(let variable, let value, let reason):
            return "invalid \(variable)=\"\(value)\": \(reason)"
        case .systemCall(let call, let errno):
            return "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .unsupportedAddress(let address):
            return "unsupported NOTIFY_SOCKET address \"\(address)\": expected an absolute path or @abstract name"
        }
    }
}

/// Runs a syscall-style body (negative result and `errno` on failure), retrying on `EINTR`.
@discardableResult
func systemCall<T: BinaryInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SystemdError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let error = Glibc.errno
        if error == EINTR { continue }
        throw SystemdError.systemCall(name(), errno: error)
    }
}
