/// Caches the client-credentials token and fetches a new one single-flight: however
/// many requests need a token at once, one fetch is made and all of them share it.
actor AccessTokenCache {
    typealias Fetch = @Sendable () async throws -> AccessToken

    private let fetch: Fetch
    private var cached: AccessToken?
    private var inFlight: Task<AccessToken, any Error>?

    init(fetch: @escaping Fetch) {
        self.fetch = fetch
    }

    /// A valid token: the cached one, the one being fetched, or a new one.
    func token() async throws -> AccessToken {
        if let cached, ContinuousClock.now < cached.refreshAt {
            return cached
        }
        if let inFlight {
            return try await inFlight.value
        }
        let fetch = self.fetch
        let task = Task { try await fetch() }
        self.inFlight = task
        do {
            let token = try await task.value
            self.cached = token
            self.inFlight = nil
            return token
        } catch {
            self.inFlight = nil
            throw error
        }
    }

    /// Drops `token` after the platform rejected it (401), unless a newer one already
    /// replaced it, so that concurrent 401s cause only one refetch.
    func invalidate(_ token: AccessToken) {
        if self.cached?.value == token.value {
            self.cached = nil
        }
    }
}
