import Foundation

/// One message from kamailio's `sipdump` files: what it received (`rcv`) or sent (`snd`),
/// in clear text also on TLS.
public struct SIPDumpMessage: Sendable, CustomStringConvertible {
    public enum Direction: String, Sendable {
        case received = "rcv"
        case sent = "snd"
    }

    public let direction: Direction
    /// `udp`, `tcp` or `tls`.
    public let transport: String
    /// `ip:port` of the sender and the receiver.
    public let source: String
    public let destination: String
    /// Unix time, microsecond resolution.
    public let time: Double
    /// The whole message, headers and body.
    public let text: String

    /// `INVITE sip:bob@127.0.0.1 SIP/2.0` or `SIP/2.0 200 OK`.
    public var startLine: String { String(text.prefix { $0 != "\r" && $0 != "\n" }) }
    /// The request's method; nil for a response.
    public var method: String? {
        startLine.hasPrefix("SIP/2.0 ") ? nil : startLine.split(separator: " ").first.map(String.init)
    }
    /// The response's status code; nil for a request.
    public var statusCode: Int? {
        startLine.hasPrefix("SIP/2.0 ") ? startLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } : nil
    }
    /// The method named in CSeq (for responses: the request they answer).
    public var cseqMethod: String? { header("CSeq")?.split(separator: " ").last.map(String.init) }
    public var callID: String? { header("Call-ID") ?? header("i") }

    /// The first header named `name` (case-insensitive), without the name.
    public func header(_ name: String) -> String? { headers(name).first }

    /// Every header named `name` (case-insensitive), in order.
    public func headers(_ name: String) -> [String] {
        var values: [String] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).dropFirst() {
            let line = line.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(name) == .orderedSame {
                values.append(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return values
    }

    /// The body (SDP), empty when none.
    public var body: String {
        guard let range = text.range(of: "\r\n\r\n") ?? text.range(of: "\n\n") else { return "" }
        return String(text[range.upperBound...])
    }

    public var description: String {
        "\(direction.rawValue) \(transport) \(source) → \(destination): \(startLine)"
    }

    /// Splits a sipdump data file into messages.
    ///
    /// Each record: `====================` then `key: value` lines (tag, pid, process, time,
    /// date, proto, srcip, srcport, dstip, dstport), `~~~~~~~~~~~~~~~~~~~~`, the message,
    /// `||||||||||||||||||||`.
    public static func parse(_ data: String) -> [SIPDumpMessage] {
        var messages: [SIPDumpMessage] = []
        for record in data.components(separatedBy: "====================\n").dropFirst() {
            guard let split = record.range(of: "~~~~~~~~~~~~~~~~~~~~\n") else { continue }
            var fields: [String: String] = [:]
            for line in record[..<split.lowerBound].split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            var message = String(record[split.upperBound...])
            if let end = message.range(of: "||||||||||||||||||||", options: .backwards) {
                message = String(message[..<end.lowerBound])
            }
            // sipdump adds one newline after the message.
            if message.hasSuffix("\n") { message.removeLast() }
            guard let direction = fields["tag"].flatMap(Direction.init(rawValue:)) else { continue }
            messages.append(SIPDumpMessage(
                direction: direction,
                transport: fields["proto"]?.split(separator: " ").first.map(String.init) ?? "",
                source: "\(fields["srcip"] ?? ""):\(fields["srcport"] ?? "")",
                destination: "\(fields["dstip"] ?? ""):\(fields["dstport"] ?? "")",
                time: Double(fields["time"] ?? "") ?? 0,
                text: message))
        }
        return messages
    }
}
