import Foundation

/// ISO-8601 timestamps with milliseconds in UTC, as used in events and status
/// (`2026-11-21T10:00:00.020Z`).
public enum ControlTimestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// Formats `date` as `YYYY-MM-DDThh:mm:ss.sssZ`.
    public static func format(_ date: Date) -> String {
        style.format(date)
    }

    /// Parses a timestamp written by ``format(_:)`` (fractional seconds optional).
    public static func parse(_ text: String) -> Date? {
        if let date = try? style.parse(text) { return date }
        return try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }
}
