import DaemonTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal JSON-RPC client of the control socket, as a script would write one:
/// one JSON object per line over a Unix stream socket.
final class ControlClient: @unchecked Sendable {
    let fd: Int32
    private var buffer = Data()
    private var nextID = 1
    /// Notifications read while waiting for replies.
    private(set) var notifications: [[String: Any]] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw DaemonProcessError("connect(\(path)): \(String(cString: strerror(error)))")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func close() { Glibc.close(fd) }
    deinit { Glibc.close(fd) }

    func send(line: String) {
        let bytes = Array((line + "\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Reads one line (nil on EOF or timeout).
    func readLine() -> [String: Any]? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                return (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Sends a request and returns its reply (`result` or `error` object), keeping notifications.
    func call(_ method: String, _ params: [String: Any]? = nil) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var request: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method]
        if let params { request["params"] = params }
        let data = try JSONSerialization.data(withJSONObject: request)
        send(line: String(decoding: data, as: UTF8.self))
        while let message = readLine() {
            if message["method"] as? String == "event" {
                notifications.append(message)
                continue
            }
            if (message["id"] as? Int) == id { return message }
        }
        throw DaemonProcessError("no reply to \(method)")
    }

    /// `call` that expects a result.
    func result(_ method: String, _ params: [String: Any]? = nil) throws -> [String: Any] {
        let reply = try call(method, params)
        guard let result = reply["result"] as? [String: Any] else { throw DaemonProcessError("\(method) failed: \(reply)") }
        return result
    }

    /// Waits for the next event notification's params.
    func nextEvent() -> [String: Any]? {
        if !notifications.isEmpty { return notifications.removeFirst()["params"] as? [String: Any] }
        while let message = readLine() {
            if message["method"] as? String == "event" { return message["params"] as? [String: Any] }
        }
        return nil
    }
}
