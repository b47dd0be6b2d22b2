/// A bearer token and when the cache stops using it.
struct AccessToken: Sendable {
    /// The token; redacted in every description.
    var value: Secret
    /// Monotonic instant after which the cache fetches a new one.
    var refreshAt: ContinuousClock.Instant
}
