import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Unix socket's path as the `sockaddr_un` that `bind` and `connect` take.
public enum UnixSocketAddress {
    /// Calls `body` with `path` as a `sockaddr_un` and its length.
    /// - Throws: `ControlClientError` when the path does not fit: a cut path would name
    ///   another socket.
    public static func with<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) throws -> R {
        var address = sockaddr_un()
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ControlClientError("socket path too long for sockaddr_un: \(path)")
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
