import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine

/// A SIP far end written out by hand over UDP, for what a real user agent will not send on
/// demand: re-INVITEs that move the media to a new port or key, hostile messages, exact
/// headers. It plays the caller of one dialog and answers softphoned's in-dialog requests
/// (BYE) with 200.
final class RawSIPPeer: @unchecked Sendable {
    /// A SIP message as received: its first line, headers (lower-case names) and body.
    struct Message: CustomStringConvertible {
        let text: String
        /// When it arrived (MonotonicClock, ns).
        var arrival: UInt64 = 0
        var startLine: String { String(text.prefix { $0 != "\r" && $0 != "\n" }) }
        var status: Int? {
            guard startLine.hasPrefix("SIP/2.0 ") else { return nil }
            return Int(startLine.dropFirst(8).prefix(3))
        }
        var method: String? { startLine.hasPrefix("SIP/2.0") ? nil : String(startLine.prefix { $0 != " " }) }
        func header(_ name: String) -> String? {
            let head = text.components(separatedBy: "\r\n\r\n").first ?? text
            for line in head.components(separatedBy: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                if line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased() {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
        var body: String { text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n") }
        var description: String { text }
    }

    let socket: UDPSocket
    let target: SocketAddress
    let callID = "raw-\(UUID().uuidString.prefix(12))@127.0.0.1"
    let fromTag = String(UUID().uuidString.prefix(8))
    private(set) var toTag: String?
    private(set) var cseq = 1
    private let lock = NSLock()
    private var inbox: [Message] = []
    private var running = true
    private let finished = DispatchSemaphore(value: 0)
    /// How softphoned's requests are answered: a status and an SDP body (default 200, no body).
    private var responder: @Sendable (Message) -> (status: Int, body: String) = { _ in (200, "") }

    /// Sets how softphoned's requests (re-INVITE, BYE, INFO) are answered from now on.
    func answerRequests(with responder: @escaping @Sendable (Message) -> (status: Int, body: String)) {
        lock.withLock { self.responder = responder }
    }

    var port: UInt16 { socket.localAddress.port }

    init(target: SocketAddress) throws {
        socket = try UDPSocket(localPort: 0, family: target, bindLoopbackOnly: true)
        self.target = target
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while lock.withLock({ running }) {
                guard let length = buffer.withUnsafeMutableBytes({ socket.receive(into: $0, timeoutMilliseconds: 20) }) else { continue }
                let message = Message(text: String(decoding: buffer[0..<length], as: UTF8.self), arrival: MonotonicClock.now())
                if let method = message.method, method != "ACK" {
                    let (status, body) = lock.withLock { responder }(message)
                    reply(status, to: message, body: body)
                }
                lock.withLock { inbox.append(message) }
            }
            finished.signal()
        }.start()
    }

    func stop() {
        guard lock.withLock({ defer { running = false }; return running }) else { return }
        finished.wait()
    }

    deinit { stop() }

    var received: [Message] { lock.withLock { inbox } }

    /// Sends raw bytes to softphoned's SIP port.
    func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { socket.send($0, to: target) }
    }

    func sendRaw(_ text: String) { sendRaw(Array(text.utf8)) }

    /// A request of this dialog (INVITE, ACK, BYE, INFO …), with `extra` header lines.
    func request(_ method: String, body: String = "", contentType: String = "application/sdp", extra: [String] = [],
                 cseq: Int? = nil, branch: String? = nil) -> String {
        let number = cseq ?? self.cseq
        var lines = [
            "\(method) sip:agent@\(target.host):\(target.port) SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:\(port);branch=\(branch ?? "z9hG4bK\(UUID().uuidString.prefix(10))")",
            "Max-Forwards: 70",
            "From: \"Raw Caller\" <sip:caller@127.0.0.1:\(port)>;tag=\(fromTag)",
            "To: <sip:agent@\(target.host):\(target.port)>" + (toTag.map { ";tag=\($0)" } ?? ""),
            "Call-ID: \(callID)",
            "CSeq: \(number) \(method)",
            "Contact: <sip:caller@127.0.0.1:\(port)>",
        ] + extra
        if !body.isEmpty { lines.append("Content-Type: \(contentType)") }
        lines.append("Content-Length: \(body.utf8.count)")
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    /// Sends an INVITE (or re-INVITE) and waits for its final response; records the To tag.
    func invite(_ sdp: String, extra: [String] = [], timeout: Double = 5) async throws -> Message? {
        cseq += 1
        let number = cseq
        let mark = received.count
        sendRaw(request("INVITE", body: sdp, extra: extra, cseq: number))
        guard let final = try await wait(timeout: timeout, after: mark, { $0.status.map { $0 >= 200 } == true && $0.header("CSeq") == "\(number) INVITE" })
        else { return nil }
        if toTag == nil, let to = final.header("To"), let range = to.range(of: "tag=") {
            toTag = String(to[range.upperBound...].prefix { $0 != ";" })
        }
        if final.status.map({ $0 >= 200 }) == true { sendRaw(request("ACK", cseq: number)) }
        return final
    }

    func bye() async throws -> Message? { try await request(method: "BYE") }

    /// Sends an in-dialog request (BYE, UPDATE, INFO) and waits for its final response.
    func request(method: String, body: String = "", contentType: String = "application/sdp", extra: [String] = []) async throws -> Message? {
        cseq += 1
        let number = cseq
        let mark = received.count
        sendRaw(request(method, body: body, contentType: contentType, extra: extra, cseq: number))
        return try await wait(timeout: 5, after: mark) { $0.status.map { $0 >= 200 } == true && $0.header("CSeq") == "\(number) \(method)" }
    }

    /// The first message after `mark` that `matches`.
    func wait(timeout: Double, after mark: Int = 0, _ matches: (Message) -> Bool) async throws -> Message? {
        var found: Message?
        _ = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(5)) {
            found = received.dropFirst(mark).first(where: matches)
            return found != nil
        }
        return found
    }

    private func reply(_ status: Int, to request: Message, body: String = "") {
        var lines = ["SIP/2.0 \(status) \(status == 200 ? "OK" : "Request Pending")"]
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
            if let value = request.header(name) { lines.append("\(name): \(value)") }
        }
        lines.append("Contact: <sip:caller@127.0.0.1:\(port)>")
        // A far end that supports session timers confirms the refresher the request names.
        if (200..<300).contains(status), let expires = request.header("Session-Expires") {
            lines += ["Session-Expires: \(expires)", "Require: timer"]
        }
        if !body.isEmpty { lines.append("Content-Type: application/sdp") }
        lines.append("Content-Length: \(body.utf8.count)")
        sendRaw(lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
    }
}
