import ControlProtocol
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct TestTimeout: Error, CustomStringConvertible {
    let description: String
}

/// A client on a plain non-blocking `AF_UNIX` socket: it never blocks a thread of the
/// concurrency pool (waits are short sleeps), so the server it talks to always gets to run.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestTimeout(description: "socket() failed") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw TestTimeout(description: "connect(\(path)) failed: errno \(error)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(fd)
    }

    /// Sends raw bytes, waiting (without blocking a thread) while the socket is full.
    func send(_ bytes: [UInt8], timeout: Duration = .seconds(20)) async throws {
        var offset = 0
        let deadline = ContinuousClock.now + timeout
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written >= 0 {
                offset += written
                continue
            }
            guard errno == EAGAIN || errno == EINTR else {
                throw TestTimeout(description: "send failed: errno \(errno)")
            }
            guard ContinuousClock.now < deadline else { throw TestTimeout(description: "send timed out") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// The next line, or `nil` at end of stream.
    func readLine(timeout: Duration = .seconds(20)) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                continue
            }
            if count == 0 { return nil }
            guard errno == EAGAIN || errno == EINTR else {
                if errno == ECONNRESET { return nil }
                throw TestTimeout(description: "recv failed: errno \(errno)")
            }
            guard ContinuousClock.now < deadline else { throw TestTimeout(description: "no line within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The next message, parsed.
    func readMessage(timeout: Duration = .seconds(20)) async throws -> JSONRPCMessage {
        guard let line = try await readLine(timeout: timeout) else {
            throw TestTimeout(description: "connection closed while waiting for a message")
        }
        return try JSONRPCMessage.parse(Data(line.utf8))
    }

    /// The next response (notifications in between are skipped).
    func readResponse(timeout: Duration = .seconds(20)) async throws -> JSONRPCResponse {
        while true {
            if case .response(let response) = try await readMessage(timeout: timeout) {
                return response
            }
        }
    }

    /// The next event notification (responses in between are skipped).
    func readEvent(timeout: Duration = .seconds(20)) async throws -> ControlEvent {
        while true {
            if case .notification(let notification) = try await readMessage(timeout: timeout),
                let event = notification.event
            {
                return event
            }
        }
    }

    /// Sends a request and returns its response.
    func request(_ method: String, params: JSONValue? = nil) async throws -> JSONRPCResponse {
        let id = JSONRPCID.number(nextID)
        nextID += 1
        try await send(Array(try JSONRPCRequest(id: id, method: method, params: params).line()))
        let response = try await readResponse()
        #expect(response.id == id)
        return response
    }

    /// Whether the server closed the connection (reads end of stream) within `timeout`.
    func isClosedByServer(timeout: Duration = .seconds(20)) async throws -> Bool {
        while true {
            guard let _ = try await readLine(timeout: timeout) else { return true }
        }
    }
}
