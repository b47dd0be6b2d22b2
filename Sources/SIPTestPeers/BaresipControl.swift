import DaemonTestSupport
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An event baresip reported on its control connection (`ctrl_tcp`).
public struct BaresipEvent: Sendable, CustomStringConvertible {
    /// `CALL_INCOMING`, `CALL_ESTABLISHED`, `CALL_DTMF_START`, `CALL_CLOSED`, `REGISTER_OK`, …
    public let type: String
    /// `call`, `register`, `other`, …
    public let eventClass: String
    public let accountAOR: String?
    /// `incoming` or `outgoing` for call events.
    public let direction: String?
    public let peerURI: String?
    /// The call's id (its Call-ID).
    public let callID: String?
    /// The event's parameter: the digit of `CALL_DTMF_START`, the reason of `CALL_CLOSED`,
    /// `0,audio,AES_CM_128_HMAC_SHA1_80` of `CALL_MENC`, `offer`/`answer` of the SDP events.
    public let param: String?
    /// When it arrived.
    public let time: Date
    /// The JSON as baresip sent it.
    public let json: String

    public var description: String {
        "\(type)" + (param.map { " [\($0)]" } ?? "") + (peerURI.map { " peer \($0)" } ?? "")
    }
}

/// A reply to a command.
public struct BaresipResponse: Sendable {
    public let ok: Bool
    public let data: String
}

/// The client side of baresip's `ctrl_tcp`: netstring-framed JSON (`12:{"a":"b"},`).
///
/// Commands go out as `{"command": name, "params": …, "token": …}`; responses carry the
/// token back; events (`{"event": true, "type": …}`) arrive unasked. A thread of its own
/// reads the socket (blocking `recv`), so no waiter holds a thread of the cooperative pool.
final class BaresipControl: Sendable {
    private let fd: Int32
    private let state = Mutex<State>(State())
    private let writeLock = Mutex<Void>(())

    private struct State {
        var events: [BaresipEvent] = []
        var responses: [String: BaresipResponse] = [:]
        var nextToken = 1
        var closed = false
    }

    /// Connects to 127.0.0.1:`port`, retrying for `timeout` seconds while nobody listens yet.
    static func connect(port: UInt16, timeout: Double, isAlive: @Sendable () -> Bool) async throws -> BaresipControl {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SIPPeerError("socket: \(String(cString: strerror(errno)))") }
            var address = sockaddr_in.loopback(port: port)
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc == 0 { return BaresipControl(fd: fd) }
            Glibc.close(fd)
            guard Date() < deadline, isAlive() else {
                throw SIPPeerError("cannot connect to baresip's ctrl_tcp on 127.0.0.1:\(port)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private init(fd: Int32) {
        self.fd = fd
        let reader = Thread { [self] in readLoop() }
        reader.name = "baresip-ctrl-reader"
        reader.start()
    }

    deinit { close() }

    func close() {
        let wasOpen = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        // shutdown wakes the reader; it closes the descriptor when it leaves.
        if wasOpen { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    var events: [BaresipEvent] { state.withLock { $0.events } }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Sends a command and waits for its response.
    func command(_ name: String, _ params: String? = nil, timeout: Double = 5) async throws -> BaresipResponse {
        let token = state.withLock { state -> String in
            defer { state.nextToken += 1 }
            return "t\(state.nextToken)"
        }
        var object: [String: String] = ["command": name, "token": token]
        if let params { object["params"] = params }
        let json = try JSONSerialization.data(withJSONObject: object)
        let frame = Array("\(json.count):".utf8) + Array(json) + Array(",".utf8)
        let sent = writeLock.withLock { _ in
            var offset = 0
            while offset < frame.count {
                let n = frame[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        guard sent else { throw SIPPeerError("baresip's control connection is closed (command \(name))") }
        var response: BaresipResponse?
        _ = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(5)) {
            response = state.withLock { $0.responses.removeValue(forKey: token) }
            return response != nil || isClosed
        }
        guard let response else {
            throw SIPPeerError("baresip did not answer `\(name)` within \(timeout) s")
        }
        return response
    }

    private func readLoop() {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 {
                if n < 0, errno == EINTR { continue }
                break
            }
            buffer += chunk[0..<n]
            while let frame = Self.takeNetstring(&buffer) { handle(frame) }
        }
        state.withLock { $0.closed = true }
        Glibc.close(fd)
    }

    /// Removes one complete netstring from the front of `buffer`.
    static func takeNetstring(_ buffer: inout [UInt8]) -> [UInt8]? {
        guard let colon = buffer.firstIndex(of: UInt8(ascii: ":")),
              let length = Int(String(decoding: buffer[..<colon], as: UTF8.self)) else { return nil }
        let start = colon + 1, end = start + length
        guard buffer.count > end else { return nil }
        let payload = Array(buffer[start..<end])
        buffer.removeFirst(end + 1)  // and the trailing comma
        return payload
    }

    private func handle(_ frame: [UInt8]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(frame))) as? [String: Any] else { return }
        let text = String(decoding: frame, as: UTF8.self)
        if object["event"] as? Bool == true {
            let event = BaresipEvent(
                type: object["type"] as? String ?? "", eventClass: object["class"] as? String ?? "",
                accountAOR: object["accountaor"] as? String, direction: object["direction"] as? String,
                peerURI: object["peeruri"] as? String, callID: object["id"] as? String,
                param: object["param"] as? String, time: Date(), json: text)
            state.withLock { $0.events.append(event) }
        } else if object["response"] as? Bool == true {
            let response = BaresipResponse(ok: object["ok"] as? Bool ?? false, data: object["data"] as? String ?? "")
            let token = object["token"] as? String ?? ""
            state.withLock { $0.responses[token] = response }
        }
    }
}
