import Foundation
import PlatformSync
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("Retry-After as delta-seconds and as an HTTP date")
    func parsesRetryAfter() throws {
        #expect(RetryPolicy.parseRetryAfter("1") == .seconds(1))
        #expect(RetryPolicy.parseRetryAfter(" 120 ") == .seconds(120))
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-21T10:00:00Z"))
        #expect(RetryPolicy.parseRetryAfter("Sat, 21 Nov 2026 10:00:05 GMT", now: now) == .seconds(5))
        #expect(RetryPolicy.parseRetryAfter("Sat, 21 Nov 2026 09:00:00 GMT", now: now) == .zero, "a past date means now")
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        #expect(RetryPolicy.parseRetryAfter("-3") == nil)
    }

    @Test("full jitter stays within the exponential ceiling, capped at max")
    func backoffBounds() {
        let policy = RetryPolicy(base: .seconds(1), max: .seconds(30))
        #expect(policy.ceiling(attempt: 0) == .seconds(1))
        #expect(policy.ceiling(attempt: 3) == .seconds(8))
        #expect(policy.ceiling(attempt: 5) == .seconds(30))
        #expect(policy.ceiling(attempt: 500) == .seconds(30))
        for attempt in 0..<12 {
            let delay = policy.delay(attempt: attempt)
            #expect(delay >= .zero && delay <= policy.ceiling(attempt: attempt))
        }
    }

    @Test("a Retry-After from the platform overrides backoff, clamped to the limit")
    func retryAfterWins() {
        let policy = RetryPolicy(base: .milliseconds(50), max: .milliseconds(400), maxRetryAfter: .seconds(60))
        let limited = SignalingError.http(status: 429, "rate limited", retryAfter: .seconds(2))
        #expect(policy.delay(attempt: 0, after: limited) == .seconds(2))
        let absurd = SignalingError.http(status: 429, "rate limited", retryAfter: .seconds(86_400))
        #expect(policy.delay(attempt: 0, after: absurd) == .seconds(60))
    }

    @Test("which errors are retried")
    func retryability() {
        #expect(SignalingError.http(status: 500, "x").isRetryable)
        #expect(SignalingError.http(status: 429, "x").isRetryable)
        #expect(SignalingError.transport("refused").isRetryable)
        #expect(!SignalingError.http(status: 400, "x").isRetryable)
        #expect(!SignalingError.forbidden(scope: "session:write", "x").isRetryable)
        #expect(!SignalingError.sessionNotFound("x").isRetryable)
    }
}
