import Foundation

/// Parses SDP text (RFC 8866) into a `SessionDescription`.
///
/// Accepts what real peers write: CRLF or bare LF line endings, blank lines, fields in a
/// lax order, and any attribute (unknown ones are kept, never rejected). Only the
/// structure of the lines softphoned relies on (`v=`, `o=`, `c=`, `m=`) is checked; the
/// meaning of the audio stream is checked by `SDPNegotiator`.
public enum SDPParser {
    /// - Throws: `SDPError` naming the first line that cannot be read.
    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        var session = SessionDescription(origin: nil)
        var current: MediaDescription?
        var sawVersion = false
        var lineNumber = 0

        // "\r\n" is a single Character in Swift, and a newline like "\n" and a lone "\r".
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }

            guard line.count >= 2, let type = line.first, type.isASCII, type.isLetter,
                  line[line.index(after: line.startIndex)] == "=" else {
                throw SDPError(.malformedLine(line: lineNumber))
            }
            let value = String(line.dropFirst(2))

            if !sawVersion {
                guard type == "v" else { throw SDPError(.missingVersion) }
                guard value.trimmingCharacters(in: .whitespaces) == "0" else { throw SDPError(.unsupportedVersion(value)) }
                sawVersion = true
                continue
            }

            switch type {
            case "o":
                let fields = words(value)
                guard fields.count == 6 else {
                    throw SDPError(.malformedField(line: lineNumber, field: "o",
                                                   expected: "o=<username> <sess-id> <sess-version> IN IP4|IP6 <address>"))
                }
                session.origin = .init(username: fields[0], sessionID: fields[1], sessionVersion: fields[2],
                                       networkType: fields[3], addressType: fields[4], address: fields[5])
            case "s":
                session.sessionName = value
            case "t":
                session.timing = value
            case "c":
                let fields = words(value)
                guard fields.count == 3 else {
                    throw SDPError(.malformedField(line: lineNumber, field: "c", expected: "c=IN IP4|IP6 <address>"))
                }
                // Multicast TTL and address count (`224.2.1.1/127/3`) are irrelevant to a unicast call.
                let address = String(fields[2].split(separator: "/", omittingEmptySubsequences: false)[0])
                // `c=IN IP4 /127`: no address before the suffix (the writer could not write it back).
                guard !address.isEmpty else {
                    throw SDPError(.malformedField(line: lineNumber, field: "c", expected: "c=IN IP4|IP6 <address>"))
                }
                let connection = SessionDescription.Connection(networkType: fields[0], addressType: fields[1].uppercased(),
                                                               address: address)
                if current != nil { current?.connection = connection } else { session.connection = connection }
            case "m":
                if let finished = current { session.media.append(finished) }
                current = try media(value, line: lineNumber)
            case "a":
                let attribute = self.attribute(value)
                if current != nil { current?.attributes.append(attribute) } else { session.attributes.append(attribute) }
            default:
                // i=, u=, e=, p=, b=, r=, z=, k= carry nothing softphoned uses.
                break
            }
        }
        guard sawVersion else { throw SDPError(.empty) }
        if let finished = current { session.media.append(finished) }
        return session
    }

    private static func words(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    private static func media(_ value: String, line: Int) throws(SDPError) -> MediaDescription {
        let fields = words(value)
        let portField = fields.count >= 2 ? fields[1].split(separator: "/", omittingEmptySubsequences: false) : []
        guard fields.count >= 4, portField.count <= 2, let port = Int(portField[0]), (0...65535).contains(port) else {
            throw SDPError(.malformedField(line: line, field: "m", expected: "m=<media> <port> <proto> <format> …"))
        }
        var count: Int?
        if portField.count == 2 {
            guard let parsed = Int(portField[1]) else {
                throw SDPError(.malformedField(line: line, field: "m", expected: "m=<media> <port>[/<count>] <proto> <format> …"))
            }
            count = parsed
        }
        return MediaDescription(media: fields[0].lowercased(), port: port, portCount: count, proto: fields[2],
                                formats: Array(fields[3...]))
    }

    private static func attribute(_ value: String) -> SessionDescription.Attribute {
        guard let colon = value.firstIndex(of: ":") else {
            return .init(value.trimmingCharacters(in: .whitespaces))
        }
        return .init(String(value[..<colon]), String(value[value.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
    }
}
