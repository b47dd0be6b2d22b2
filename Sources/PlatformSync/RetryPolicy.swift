import Foundation

/// Retry delays: the platform's `Retry-After` when it gives one, otherwise exponential
/// backoff with full jitter (a uniformly random delay between zero and
/// `min(max, base * 2^attempt)`), so that many agents recovering from the same outage
/// do not hit the platform in lockstep.
public struct RetryPolicy: Sendable {
    /// The bound for the first retry.
    public var base: Duration
    /// The largest bound.
    public var max: Duration
    /// The longest `Retry-After` honoured; a longer one is clamped to this.
    public var maxRetryAfter: Duration

    public init(base: Duration, max: Duration, maxRetryAfter: Duration = .seconds(300)) {
        self.base = base
        self.max = max
        self.maxRetryAfter = maxRetryAfter
    }

    /// The backoff bound for a zero-based attempt number.
    public func ceiling(attempt: Int) -> Duration {
        let shift = Swift.min(Swift.max(attempt, 0), 30)
        let bound = self.base * (1 << shift)
        return Swift.min(bound, self.max)
    }

    /// The delay before retry number `attempt` (zero-based) after `error`.
    public func delay(attempt: Int, after error: SignalingError? = nil) -> Duration {
        if let retryAfter = error?.retryAfter {
            return Swift.min(Swift.max(retryAfter, .zero), self.maxRetryAfter)
        }
        let ceiling = self.ceiling(attempt: attempt)
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        guard nanos > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanos))
    }

    /// Parses a `Retry-After` value: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
    /// A date in the past means "now".
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 {
            return .seconds(seconds)
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let interval = Swift.max(0, date.timeIntervalSince(now))
                return .milliseconds(Int64((interval * 1000).rounded(.up)))
            }
        }
        return nil
    }
}
