import ControlProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A JSON-RPC 2.0 client of the control socket, as a script would write one: one JSON object
/// a line over a Unix stream socket.
///
/// The socket is non-blocking and every wait is a short `Task.sleep`, so the client never
/// holds a thread of the cooperative pool: an in-process server (or emulator) it talks to
/// always gets to run. One connection is for one task at a time.
///
/// Typed requests (`request`, `result`, `readEvent`) use ControlProtocol's types; `call` and
/// `result(_:_:)` take and give `JSONSerialization` dictionaries for tests that read fields
/// by name. Notifications that arrive while a reply is awaited are kept for `readEvent`.
/// `send` and `readLine` give the raw stream, for the protocol-abuse tests.
public final class ControlClient: @unchecked Sendable {
    /// How long a read or write waits unless told otherwise.
    public let timeout: Duration
    /// The socket, for tests that go below the protocol (shutdown, socket options).
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1
    /// Notification lines read while a reply was awaited, oldest first.
    private var pending: [String] = []

    /// Connects to the socket at `path`.
    public init(path: String, timeout: Duration = .seconds(10)) throws {
        self.timeout = timeout
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlClientError("socket(AF_UNIX): \(String(cString: strerror(errno)))") }
        let connected: Int32
        do {
            connected = try UnixSocketAddress.with(path) { connect(fd, $0, $1) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw ControlClientError("connect(\(path)): \(String(cString: strerror(error)))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    // MARK: The raw stream

    /// Sends `bytes` as they are, waiting while the socket is full.
    public func send(_ bytes: [UInt8], timeout: Duration? = nil) async throws {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written >= 0 {
                offset += written
                continue
            }
            guard errno == EAGAIN || errno == EINTR else {
                throw ControlClientError("send: \(String(cString: strerror(errno)))")
            }
            guard ContinuousClock.now < deadline else { throw ControlClientError("send timed out") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Sends `text` as it is (add the newline yourself).
    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// The next line from the wire, or `nil` at end of stream (or a reset connection).
    /// - Throws: `ControlClientError` when no line comes within the timeout.
    public func readLine(timeout: Duration? = nil) async throws -> String? {
        let timeout = timeout ?? self.timeout
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                continue
            }
            if count == 0 { return nil }
            guard errno == EAGAIN || errno == EINTR else {
                if errno == ECONNRESET { return nil }
                throw ControlClientError("recv: \(String(cString: strerror(errno)))")
            }
            guard ContinuousClock.now < deadline else { throw ControlClientError("no line within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Whether the server closes the connection (end of stream) within the timeout; lines
    /// read meanwhile are dropped.
    public func isClosedByServer(timeout: Duration? = nil) async throws -> Bool {
        while true {
            guard let _ = try await readLine(timeout: timeout) else { return true }
        }
    }

    // MARK: Messages

    /// The next message: a notification kept from earlier, else the next line, parsed.
    public func readMessage(timeout: Duration? = nil) async throws -> JSONRPCMessage {
        try JSONRPCMessage.parse(Data(try await nextLine(timeout: timeout).utf8))
    }

    /// The next response; notifications before it are kept for `readEvent`.
    public func readResponse(timeout: Duration? = nil) async throws -> JSONRPCResponse {
        try await nextResponse(timeout: timeout).response
    }

    /// The next event notification (a kept one first); responses in between are dropped.
    public func readEvent(timeout: Duration? = nil) async throws -> ControlEvent {
        while true {
            if case .notification(let notification) = try await readMessage(timeout: timeout),
                let event = notification.event
            {
                return event
            }
        }
    }

    /// The next event notification's params as a dictionary, or `nil` when none comes
    /// within the timeout or the connection ends.
    public func nextEvent(timeout: Duration? = nil) async throws -> [String: Any]? {
        while true {
            guard let line = try? await nextLine(timeout: timeout) else { return nil }
            let message = try Self.dictionary(line)
            if message["method"] as? String == "event" { return message["params"] as? [String: Any] }
        }
    }

    // MARK: Requests

    /// Sends a request and returns its response (`result` or `error`).
    /// - Throws: `ControlClientError` when the reply carries another id.
    public func request(_ method: String, params: JSONValue? = nil) async throws -> JSONRPCResponse {
        let id = takeID()
        return try await exchange(id, method, JSONRPCRequest(id: .number(id), method: method, params: params).line()).response
    }

    /// Sends a request and returns its result.
    ///
    /// Where the dictionary form `result(_:_:)` would do as well (`result("status")["muted"]`),
    /// that one is taken.
    /// - Throws: `ControlClientError` when the reply is an error object or carries another id.
    @_disfavoredOverload
    public func result(_ method: String, params: JSONValue? = nil) async throws -> JSONValue {
        let response = try await request(method, params: params)
        do {
            return try response.get()
        } catch {
            throw ControlClientError("\(method) failed: \(error)")
        }
    }

    /// `request` with `JSONSerialization` values: returns the whole reply object (with its
    /// `result` or `error`).
    public func call(_ method: String, _ params: [String: Any]? = nil) async throws -> [String: Any] {
        let id = takeID()
        var request: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method]
        if let params { request["params"] = params }
        let line = try JSONSerialization.data(withJSONObject: request) + [UInt8(ascii: "\n")]
        return try Self.dictionary(try await exchange(id, method, line).line)
    }

    /// `call` that expects a result object.
    /// - Throws: `ControlClientError` when the reply is an error object or carries another id.
    public func result(_ method: String, _ params: [String: Any]? = nil) async throws -> [String: Any] {
        let reply = try await call(method, params)
        guard let result = reply["result"] as? [String: Any] else { throw ControlClientError("\(method) failed: \(reply)") }
        return result
    }

    // MARK: Internals

    private func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Sends one request line and reads the response to it.
    private func exchange(_ id: Int64, _ method: String, _ line: Data) async throws -> (response: JSONRPCResponse, line: String) {
        try await send(Array(line))
        let reply = try await nextResponse(timeout: nil)
        guard reply.response.id == .number(id) else {
            throw ControlClientError("the reply to \(method) (id \(id)) carries id \(reply.response.id): \(reply.line)")
        }
        return reply
    }

    private func nextResponse(timeout: Duration?) async throws -> (response: JSONRPCResponse, line: String) {
        while true {
            guard let line = try await readLine(timeout: timeout) else {
                throw ControlClientError("connection closed while waiting for a response")
            }
            switch try JSONRPCMessage.parse(Data(line.utf8)) {
            case .response(let response): return (response, line)
            case .notification: pending.append(line)
            }
        }
    }

    private func nextLine(timeout: Duration?) async throws -> String {
        if !pending.isEmpty { return pending.removeFirst() }
        guard let line = try await readLine(timeout: timeout) else {
            throw ControlClientError("connection closed while waiting for a message")
        }
        return line
    }

    private static func dictionary(_ line: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ControlClientError("not a JSON object: \(line)")
        }
        return object
    }
}

/// The control socket did not answer as a test expected.
public struct ControlClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
