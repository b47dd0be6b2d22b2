#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Renders one log message as one line for stderr.
///
/// * `journal` (stderr is connected to journald, `JOURNAL_STREAM`): a `<N>` syslog
///   priority prefix that journald turns into the entry's priority, and no timestamp,
///   since the journal records its own: `<4>softphoned.signaling: PATCH failed status=503`.
/// * `plain` (a terminal or a file): an ISO-8601 UTC timestamp and the level:
///   `2026-11-21T10:00:00.020Z warning softphoned.signaling: PATCH failed status=503`.
///
/// Metadata follows as `key=value` sorted by key; values with spaces, quotes or `=` are
/// quoted. Newlines are escaped so a message is always exactly one line (one journal entry).
public struct LogLineFormatter: Sendable, Equatable {
    /// The shape of a line.
    public enum Style: Sendable, Equatable {
        /// `<N>` priority prefix, no timestamp.
        case journal
        /// Timestamp and level name.
        case plain
    }

    public var style: Style

    public init(style: Style) {
        self.style = style
    }

    /// The syslog priority journald reads from a `<N>` prefix (`sd-daemon(3)`).
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// One line, terminated by `\n`.
    public func format(
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata,
        date: Date = Date()
    ) -> String {
        var line: String
        switch style {
        case .journal:
            line = "<\(Self.syslogPriority(level))>"
        case .plain:
            line = Self.timestamp(date) + " " + level.rawValue + " "
        }
        line += label
        line += ": "
        line += Self.escapeNewlines(message)
        for key in metadata.keys.sorted() {
            line += " "
            line += key
            line += "="
            line += Self.render(metadata[key]!)
        }
        line += "\n"
        return line
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC.
    public static func timestamp(_ date: Date) -> String {
        // Whole milliseconds first: a Double like 1795255200.020 is not exact.
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(totalMillis.quotientAndRemainder(dividingBy: 1000).quotient)
        var millis = Int(totalMillis - Int64(seconds) * 1000)
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2)
            + "T" + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2)
            + "." + pad(Int32(millis), 3) + "Z"
    }

    static func render(_ value: Logger.MetadataValue) -> String {
        let text = escapeNewlines(plain(value))
        let needsQuotes = text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\t" })
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The value without Swift's quoting of strings inside arrays and dictionaries.
    static func plain(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return "[" + values.map(plain).joined(separator: ", ") + "]"
        case .dictionary(let values):
            return "[" + values.keys.sorted().map { "\($0): \(plain(values[$0]!))" }.joined(separator: ", ") + "]"
        }
    }

    static func escapeNewlines(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        return text.replacingOccurrences(of: "\r\n", with: "\\n")
            .replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
    }
}
