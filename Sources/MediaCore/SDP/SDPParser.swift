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

        for line in lines(of: text) {
            lineNumber += 1
            let bytes = line.utf8
            if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            // No SDP text holds a NUL (RFC 8866 §9), and a value that did would be cut short
            // where it reaches C, as a candidate does in libnice.
            guard !bytes.contains(0) else { throw SDPError(.nulByte(line: lineNumber)) }

            // `x=`: an ASCII letter and the "=" byte (RFC 8866 §5). Bytes, not Characters: a
            // combining mark after the "=" makes one Character of the two, and an attribute
            // whose value begins with a mark once trimmed (`a=  \u{35A}x`) would be written
            // back as a line its own parser refused.
            let second = bytes.index(after: bytes.startIndex)
            guard bytes.count >= 2, let first = bytes.first, isASCIILetter(first), bytes[second] == UInt8(ascii: "=") else {
                throw SDPError(.malformedLine(line: lineNumber))
            }
            let type = Character(Unicode.Scalar(first))
            let value = String(line[bytes.index(after: second)...])

            if !sawVersion {
                guard type == "v" else { throw SDPError(.missingVersion) }
                guard value.trimmingWhitespace() == "0" else { throw SDPError(.unsupportedVersion(value)) }
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

    /// The lines of `text`, split where `Character.isNewline` would split them: LF, VT, FF,
    /// CR, CRLF (one break), NEL, LS and PS.
    ///
    /// Found on the UTF-8 bytes, which is far cheaper than walking Characters; the result is
    /// the same because a newline scalar is always a Character of its own (CRLF aside).
    static func lines(of text: String) -> [Substring] {
        var lines: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let next = utf8.index(after: index)
            var end: String.Index?
            switch utf8[index] {
            case 0x0A, 0x0B, 0x0C:
                end = next
            case 0x0D:
                end = next != utf8.endIndex && utf8[next] == 0x0A ? utf8.index(after: next) : next
            case 0xC2:
                // U+0085 NEXT LINE
                if next != utf8.endIndex && utf8[next] == 0x85 { end = utf8.index(after: next) }
            case 0xE2:
                // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR
                if next != utf8.endIndex && utf8[next] == 0x80 {
                    let third = utf8.index(after: next)
                    if third != utf8.endIndex && (utf8[third] == 0xA8 || utf8[third] == 0xA9) { end = utf8.index(after: third) }
                }
            default:
                break
            }
            if let end {
                lines.append(text[start..<index])
                start = end
                index = end
            } else {
                index = next
            }
        }
        lines.append(text[start..<utf8.endIndex])
        return lines
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// The fields of a line, split on the space and tab bytes (RFC 4566 §5: fields are
    /// separated by one space). Bytes, not Characters: a space followed by a combining mark
    /// is one Character (a tab followed by it is two), so a line with a tab there would read
    /// differently once `SDPWriter` wrote it back with spaces. Both bytes are ASCII, never
    /// inside a multi-byte UTF-8 sequence, so every field is whole scalars.
    private static func words(_ value: String) -> [String] {
        value.utf8.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            .map { String(Substring($0)) }
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

    /// `name` or `name:value`, split at the first ":" byte (a ":" followed by a combining
    /// mark is one Character, and would hide the colon once the value was trimmed).
    private static func attribute(_ value: String) -> SessionDescription.Attribute {
        let utf8 = value.utf8
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else {
            return .init(value.trimmingWhitespace())
        }
        return .init(String(value[..<colon]), value[utf8.index(after: colon)...].trimmingWhitespace())
    }
}
