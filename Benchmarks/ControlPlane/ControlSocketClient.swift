import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why the benchmark's control client failed.
struct ControlClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A blocking JSON-RPC client of the control socket, written as a script or a desktop
/// client would write one: POSIX socket calls, one JSON object per line. Requests are
/// prepared byte strings so that a round trip measures the daemon, not the client's JSON.
final class ControlSocketClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65_536)
    private var nextID = 1

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ControlClientError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            Glibc.close(fd)
            throw ControlClientError("socket path longer than \(capacity - 1) bytes: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw ControlClientError("connect(\(path)): \(String(cString: strerror(error)))")
        }
        // Liveness only: a daemon that stops answering fails the run instead of hanging it.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(fd) }

    /// The request line for `method` with the next id (params as a JSON object text).
    func request(_ method: String, params: String? = nil) -> [UInt8] {
        let id = nextID
        nextID += 1
        let params = params.map { ",\"params\":\($0)" } ?? ""
        return Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"\(method)\"\(params)}\n".utf8)
    }

    /// Writes a whole request line.
    func write(_ line: [UInt8]) throws {
        var sent = 0
        while sent < line.count {
            let n = line[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ControlClientError("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// Reads one reply line and checks that it is a result, not an error.
    /// - Returns: the line, without its newline.
    @discardableResult
    func readResult() throws -> ArraySlice<UInt8> {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[..<newline]
                buffer.removeSubrange(...newline)
                guard Self.contains(line, Self.resultKey) else {
                    throw ControlClientError("the daemon answered with an error: \(String(decoding: line, as: UTF8.self))")
                }
                return line
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ControlClientError(n == 0 ? "the daemon closed the connection" : "recv: \(String(cString: strerror(errno)))") }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// One request and its reply.
    func call(_ method: String, params: String? = nil) throws {
        try write(request(method, params: params))
        try readResult()
    }

    private static let resultKey = Array("\"result\"".utf8)

    private static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var i = haystack.startIndex
        while i + needle.count <= haystack.endIndex {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
