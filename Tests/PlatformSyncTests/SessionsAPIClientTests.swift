import AsyncHTTPClient
import Foundation
import Logging
import SessionAPIEmulator
import PlatformSync
import Testing

@Suite("SessionsAPIClient against the emulator")
struct SessionsAPIClientTests {
    /// Runs `body` with a client talking to a fresh emulator.
    func withClient(
        _ emulatorConfig: SessionAPIEmulatorConfiguration = emulatorConfiguration(),
        _ body: (SessionsAPIClient, SessionAPIEmulator) async throws -> Void
    ) async throws {
        let emulator = SessionAPIEmulator(configuration: emulatorConfig)
        let port = try await emulator.start()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = SessionsAPIClient(
            configuration: signalingConfiguration(port: port), httpClient: http, logger: Logger(label: "test")
        )
        do {
            try await body(client, emulator)
        } catch {
            try await http.shutdown()
            await emulator.stop()
            throw error
        }
        try await http.shutdown()
        await emulator.stop()
    }

    @Test("token, query and PATCH have exactly the documented shapes")
    func requestShapes() async throws {
        try await withClient { client, emulator in
            let session = emulator.createSession(userID: TestValues.userID)
            let found = try await client.findActiveSession()
            #expect(found == session.id)
            try await client.setMuted(true, sessionID: session.id)
            try await client.setMuted(false, sessionID: session.id)

            let log = emulator.requestLog()
            let token = try #require(log.first { $0.path == "/oauth/token" })
            #expect(token.method == "POST")
            #expect(token.status == 200)
            #expect(token.contentType == "application/x-www-form-urlencoded")
            // The secret is redacted in the log; the 200 proves it arrived intact despite `& = + % /`.
            #expect(
                token.body
                    == "grant_type=client_credentials&client_id=softphone-test&client_secret=<redacted>&scope=session%3Awrite+session%3Aread"
            )
            let query = try #require(log.first { $0.path.hasSuffix("/details/query") })
            #expect(query.path == "/api/v2/flexiblesearch/queries/sessions/details/query")
            #expect(query.authorization == "Bearer <redacted>")
            #expect(
                query.body
                    == #"{"pageSize":1,"query":{"type":"and","clauses":[{"type":"eq","field":"userId","values":["agent-7"]},{"type":"eq","field":"type","values":["voice"]},{"type":"eq","field":"status","values":["active"]}]}}"#
            )
            let patches = log.filter { $0.method == "PATCH" }
            #expect(patches.map(\.path) == Array(repeating: "/api/v2/interactive/sessions/\(session.id)", count: 2))
            #expect(patches.map(\.body) == [#"{"muted":true}"#, #"{"muted":false}"#])
            #expect(patches.allSatisfy { $0.status == 204 && $0.contentType == "application/json" })
            #expect(log.filter { $0.path == "/oauth/token" }.count == 1, "the token is cached")
        }
    }

    @Test("no active session yields nil, and an ended session is a 404 the caller can act on")
    func discoveryAndEndedSession() async throws {
        try await withClient { client, emulator in
            #expect(try await client.findActiveSession() == nil)
            let session = emulator.createSession(userID: TestValues.userID, muted: true)
            #expect(try await client.readMuted(sessionID: session.id) == true)
            try emulator.endSession(id: session.id)
            #expect(try await client.findActiveSession() == nil)
            do {
                _ = try await client.readMuted(sessionID: session.id)
                Issue.record("reading an ended session must fail")
            } catch let error as SignalingError {
                #expect(error.isSessionGone)
                #expect(error.statusCode == 404)
                #expect(!error.isRetryable)
            }
        }
    }

    @Test("many concurrent requests share one token fetch")
    func tokenSingleFlight() async throws {
        try await withClient { client, emulator in
            let session = emulator.createSession(userID: TestValues.userID)
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<24 {
                    group.addTask { try await client.readMuted(sessionID: session.id) }
                }
                for try await muted in group { #expect(muted == false) }
            }
            let log = emulator.requestLog()
            #expect(log.filter { $0.path == "/oauth/token" }.count == 1)
            #expect(log.filter { $0.method == "GET" && $0.status == 200 }.count == 24)
        }
    }

    @Test("an expired token gets a 401, one refetch and one retry")
    func expiredTokenIsRefetchedOnce() async throws {
        try await withClient { client, emulator in
            let session = emulator.createSession(userID: TestValues.userID)
            _ = try await client.readMuted(sessionID: session.id)
            emulator.expireAllTokens()
            emulator.clearRequestLog()
            try await client.setMuted(true, sessionID: session.id)
            let log = emulator.requestLog().map { "\($0.method) \($0.path) \($0.status)" }
            #expect(
                log == [
                    "PATCH /api/v2/interactive/sessions/\(session.id) 401",
                    "POST /oauth/token 200",
                    "PATCH /api/v2/interactive/sessions/\(session.id) 204",
                ]
            )
            #expect(emulator.session(id: session.id)?.muted == true)
        }
    }

    @Test("a token lifetime shorter than the margin is still cached for part of its life")
    func shortLivedTokens() async throws {
        try await withClient(emulatorConfiguration(tokenLifetime: 1)) { client, emulator in
            let session = emulator.createSession(userID: TestValues.userID)
            _ = try await client.readMuted(sessionID: session.id)
            _ = try await client.readMuted(sessionID: session.id)
            #expect(emulator.requestLog().filter { $0.path == "/oauth/token" }.count == 1)
            try await Task.sleep(for: .milliseconds(1200))
            _ = try await client.readMuted(sessionID: session.id)
            let statuses = emulator.requestLog().map(\.status)
            #expect(!statuses.contains(401), "the cache renews before expiry: \(statuses)")
            #expect(emulator.requestLog().filter { $0.path == "/oauth/token" }.count == 2)
        }
    }

    @Test("403 names the missing scope and is not retryable")
    func forbiddenNamesScope() async throws {
        // Read-only client asking only for what it has: PATCH is refused with 403.
        let emulator = SessionAPIEmulator(configuration: emulatorConfiguration(scopes: ["session:read"]))
        let port = try await emulator.start()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = SessionsAPIClient(
            configuration: signalingConfiguration(port: port, scope: "session:read"), httpClient: http,
            logger: Logger(label: "test")
        )
        let session = emulator.createSession(userID: TestValues.userID)
        var caught: SignalingError?
        do { try await client.setMuted(true, sessionID: session.id) } catch let error as SignalingError { caught = error }
        // Read-only client asking for write too: the token endpoint refuses the scope.
        let greedy = SessionsAPIClient(
            configuration: signalingConfiguration(port: port), httpClient: http, logger: Logger(label: "test")
        )
        var tokenError: SignalingError?
        do { _ = try await greedy.readMuted(sessionID: session.id) } catch let error as SignalingError { tokenError = error }
        try await http.shutdown()
        await emulator.stop()

        let forbidden = try #require(caught)
        #expect(forbidden.statusCode == 403)
        #expect(forbidden.missingScope == "session:write")
        #expect(!forbidden.isRetryable)
        #expect(forbidden.description.contains("session:write"))
        let refused = try #require(tokenError)
        #expect(refused.missingScope == "session:write")
        #expect(!refused.isRetryable)
    }

    @Test("wrong client secret is a clear, final error without the secret in it")
    func wrongSecret() async throws {
        let emulator = SessionAPIEmulator(configuration: emulatorConfiguration())
        let port = try await emulator.start()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var configuration = signalingConfiguration(port: port)
        configuration.clientSecret = Secret("definitely-wrong-secret")
        let client = SessionsAPIClient(configuration: configuration, httpClient: http, logger: Logger(label: "test"))
        var caught: SignalingError?
        do { _ = try await client.findActiveSession() } catch let error as SignalingError { caught = error }
        try await http.shutdown()
        await emulator.stop()
        let error = try #require(caught)
        #expect(!error.isRetryable)
        #expect(error.description.contains("rejected"))
        #expect(!error.description.contains("definitely-wrong-secret"))
    }
}
