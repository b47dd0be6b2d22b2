// `struct pollfd` reaches this module through alsa-lib's headers as well as Glibc's; with
// member import visibility, optimised builds attribute its members to CALSA.
import CALSA
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address.
public struct SocketAddress: Sendable, CustomStringConvertible, Equatable {
    var storage: sockaddr_storage
    var length: socklen_t

    /// Resolves `host:port` or `[v6]:port` numerically (no DNS on the media path).
    public init(_ text: String) throws(SocketAddressError) {
        var host = Substring(text)
        var portText: Substring
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]"), host[host.index(after: close)...].hasPrefix(":") else { throw SocketAddressError(text) }
            portText = host[host.index(close, offsetBy: 2)...]
            host = host[host.index(after: host.startIndex)..<close]
        } else {
            guard let colon = host.lastIndex(of: ":") else { throw SocketAddressError(text) }
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard let port = UInt16(portText) else { throw SocketAddressError(text) }
        try self.init(host: String(host), port: port)
    }

    /// A numeric IPv4 or IPv6 host and a port.
    public init(host: String, port: UInt16) throws(SocketAddressError) {
        var storage = sockaddr_storage()
        let length: socklen_t
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = v4
            withUnsafeBytes(of: sin) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = v6
            withUnsafeBytes(of: sin6) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            throw SocketAddressError("\(host):\(port)")
        }
        self.storage = storage
        self.length = length
    }

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    public var isIPv6: Bool { Int32(storage.ss_family) == AF_INET6 }

    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            isIPv6 ? UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port) : UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        withUnsafeBytes(of: storage) { raw in
            if isIPv6 {
                var a = raw.load(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            } else {
                var a = raw.load(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func == (a: SocketAddress, b: SocketAddress) -> Bool { a.description == b.description }
}

/// An address that is not a numeric `host:port`.
public struct SocketAddressError: Error, CustomStringConvertible, Equatable {
    public let value: String
    init(_ value: String) { self.value = value }
    public var description: String { "'\(value)' is not a numeric host:port (IPv4 a.b.c.d:port or IPv6 [addr]:port)" }
}

/// The call's UDP socket: RTP and RTCP multiplexed on one port, marked DSCP EF.
///
/// Blocking I/O with timeouts, used by the media threads only (which is why it is plain
/// POSIX rather than an event loop: the media path must not allocate or hop threads).
public final class UDPSocket: @unchecked Sendable {
    public let fd: CInt
    public let localAddress: SocketAddress

    /// Binds a socket of the remote's family to `localPort` (0 = ephemeral).
    public init(localPort: UInt16, family remote: SocketAddress, bindLoopbackOnly: Bool = false) throws(SystemCallError) {
        let family = remote.isIPv6 ? AF_INET6 : AF_INET
        fd = try systemCall("socket") { socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            // DSCP EF (46) in the upper six bits of the traffic class.
            var tos: CInt = 46 << 2
            if family == AF_INET6 {
                _ = setsockopt(fd, CInt(IPPROTO_IPV6), IPV6_TCLASS, &tos, socklen_t(MemoryLayout<CInt>.size))
            } else {
                _ = setsockopt(fd, CInt(IPPROTO_IP), IP_TOS, &tos, socklen_t(MemoryLayout<CInt>.size))
            }
            var local = try! SocketAddress(host: family == AF_INET6 ? (bindLoopbackOnly ? "::1" : "::") : (bindLoopbackOnly ? "127.0.0.1" : "0.0.0.0"), port: localPort)
            let fd = self.fd
            try systemCall("bind") {
                withUnsafePointer(to: &local.storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, local.length) } }
            }
            var bound = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            try systemCall("getsockname") {
                withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            }
            localAddress = SocketAddress(storage: bound, length: length)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Sends one datagram. Errors are returned, not thrown, so the caller can count them.
    /// - Returns: 0 on success, else the errno.
    @inline(__always)
    public func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> CInt {
        var address = address
        let n = withUnsafePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes.baseAddress, bytes.count, CInt(MSG_DONTWAIT), $0, address.length) }
        }
        return n < 0 ? errno : 0
    }

    /// Waits up to `timeoutMilliseconds` for a datagram.
    /// - Returns: its length, or nil on timeout (or a transient error such as ICMP unreachable).
    @inline(__always)
    public func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int32) -> Int? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return nil }
        return Self.read(fd, into: buffer)
    }

    /// One datagram from a socket that poll found ready.
    @inline(__always)
    private static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let n = recv(fd, buffer.baseAddress, buffer.count, CInt(MSG_DONTWAIT))
        return n > 0 ? n : nil
    }

    /// Waits up to `timeoutMilliseconds` for a datagram on either socket. When both have
    /// one, `first` is read if `preferFirst`: the caller alternates, so a flood at one
    /// socket cannot starve the other.
    /// - Returns: its length, or nil on timeout (or a transient error).
    @inline(__always)
    public static func receive(from first: UDPSocket, or second: UDPSocket, preferFirst: Bool,
                               into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int32) -> Int? {
        var fds = (pollfd(fd: first.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: second.fd, events: Int16(POLLIN), revents: 0))
        let ready = withUnsafeMutableBytes(of: &fds) { poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, timeoutMilliseconds) }
        guard ready > 0 else { return nil }
        return read(fds.0.revents != 0 && (preferFirst || fds.1.revents == 0) ? first.fd : second.fd, into: buffer)
    }
}
