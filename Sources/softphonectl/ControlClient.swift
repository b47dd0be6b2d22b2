import ControlProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why the command line client stopped.
struct ClientError: Error, CustomStringConvertible {
    enum Kind {
        /// The socket could not be reached (exit status 3).
        case connect
        /// The daemon answered with a JSON-RPC error (exit status 1).
        case daemon
        /// The connection broke or the daemon's reply made no sense (exit status 3 or 1).
        case protocolFailure
    }

    let kind: Kind
    let description: String

    static func connect(_ path: String, errno: Int32) -> ClientError {
        let reason = String(cString: strerror(errno))
        let hint: String
        switch errno {
        case ENOENT, ECONNREFUSED:
            hint = "is softphoned running? (systemctl --user status softphoned)"
        case EACCES, EPERM:
            hint = "permission denied: the socket belongs to another user"
        default:
            hint = "check the path, or set --socket / \(ControlSocketPath.environmentVariable)"
        }
        return ClientError(kind: .connect, description: "cannot connect to \(path): \(reason); \(hint)")
    }

    static func daemon(_ error: ControlError) -> ClientError {
        ClientError(kind: .daemon, description: "error \(error.code): \(error.message)")
    }
}

/// A small blocking JSON-RPC client over the control socket.
final class ControlClient {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1

    /// Connects to the daemon's socket.
    init(path: String) throws(ClientError) {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .connect(path, errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw .connect(path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw .connect(path, errno: error)
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Sends one request and waits for its response, skipping notifications.
    ///
    /// - Returns: The result.
    /// - Throws: ``ClientError`` with kind `.daemon` when the daemon answers with an error.
    func call(_ method: ControlMethod, params: JSONValue? = nil) throws(ClientError) -> JSONValue {
        let id = JSONRPCID.number(nextID)
        nextID += 1
        let line: Data
        do {
            line = try JSONRPCRequest(id: id, method: method.rawValue, params: params).line()
        } catch {
            throw ClientError(kind: .protocolFailure, description: "cannot encode request: \(error)")
        }
        try write(line)
        while true {
            guard let message = try readMessage(timeout: nil) else {
                throw ClientError(kind: .connect, description: "the daemon closed the connection to \(path)")
            }
            guard case .response(let response) = message else { continue }
            // A refusal (1003) is written with id null before any request is read.
            guard response.id == id || response.id == .null else { continue }
            switch response.outcome {
            case .success(let result): return result
            case .failure(let error): throw .daemon(error)
            }
        }
    }

    /// Reads the next message; `nil` on end of stream or when `timeout` (seconds) passes first.
    func readMessage(timeout: Double?) throws(ClientError) -> JSONRPCMessage? {
        guard let line = try readLine(timeout: timeout) else { return nil }
        do {
            return try JSONRPCMessage.parse(Data(line))
        } catch {
            throw ClientError(kind: .protocolFailure, description: "unreadable message from the daemon: \(error)")
        }
    }

    /// Whether the last `readMessage` ended because the daemon closed the connection.
    private(set) var reachedEnd = false

    private func readLine(timeout: Double?) throws(ClientError) -> [UInt8]? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            var waitMs: Int32 = -1
            if let deadline {
                let remaining = deadline.timeIntervalSinceNow
                if remaining <= 0 { return nil }
                waitMs = Int32(min(remaining * 1000, 60_000).rounded(.up))
            }
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollFD, 1, waitMs)
            if ready < 0 {
                if errno == EINTR { continue }
                throw ClientError(kind: .connect, description: "poll on \(path) failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw ClientError(kind: .connect, description: "reading from \(path) failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                reachedEnd = true
                return nil
            }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    private func write(_ data: Data) throws(ClientError) {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ClientError(kind: .connect, description: "writing to \(path) failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
