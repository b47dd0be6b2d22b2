import AsyncHTTPClient
import DaemonTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import SessionAPIEmulator
import PlatformSync
import Synchronization
import Testing

@Suite("PlatformSyncService against the emulator")
struct PlatformSyncServiceTests {
    @Test("a call finds its session, sends the desired state and verifies it")
    func syncsDesiredState() async throws {
        try await withHarness { h in
            h.service.setDesiredState(muted: true)  // pre-mute before the call
            h.service.callStarted(sessionID: nil)
            // The platform lags the media: the session appears a little later.
            try await Task.sleep(for: .milliseconds(300))
            let session = h.emulator.createSession(userID: TestValues.userID)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            #expect(h.emulator.session(id: session.id)?.muted == true)
            #expect(h.service.status.sessionID == session.id)
            #expect(h.service.status.platformMuted == true)
            #expect(h.service.status.lastSyncAt != nil)
            #expect(h.log("POST", "/details/query").count >= 2, "discovery retried until found")
            #expect(h.log("PATCH", "/interactive/sessions").map(\.body) == [#"{"muted":true}"#])
            #expect(h.observations.remoteChanges.isEmpty)

            h.service.callEnded()
            try await expectEventually("idle", timeout: .seconds(15)) { h.service.status.state == .idle }
            let requests = h.emulator.requestLog().count
            try await Task.sleep(for: .milliseconds(350))
            #expect(h.emulator.requestLog().count == requests, "no polling after the call ended")
        }
    }

    @Test("a supervisor's mute and unmute arrive as remote changes within a poll interval")
    func remoteMuteAndUnmute() async throws {
        try await withHarness { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: session.id)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            #expect(h.log("POST", "/details/query").isEmpty, "an explicit session id skips discovery")

            try h.emulator.supervisorSetMuted(sessionID: session.id, muted: true)
            try await expectEventually("remote mute", timeout: .seconds(5)) { h.observations.remoteChanges == [true] }
            #expect(h.service.desiredMuted == true)

            // Unmute through the admin HTTP surface, as the demo does.
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(h.port)/admin/sessions/\(session.id)/unmute")
            request.method = .POST
            let response = try await http.execute(request, timeout: .seconds(5))
            #expect(response.status.code == 200)
            try await http.shutdown()
            try await expectEventually("remote unmute", timeout: .seconds(5)) { h.observations.remoteChanges == [true, false] }
            #expect(h.service.status.platformMuted == false)
            #expect(h.log("PATCH", "/interactive").isEmpty, "the daemon does not fight a remote change")
            #expect(h.emulator.session(id: session.id)?.mutedBy == "supervisor")
        }
    }

    @Test("429 with Retry-After: 1 makes the next request wait at least about a second")
    func honoursRetryAfter() async throws {
        try await withHarness { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: session.id)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            h.emulator.injectFaults([.tooManyRequests(retryAfter: "1")], pathContains: "/interactive/sessions")
            h.service.setDesiredState(muted: true)
            try await expectEventually("converged", timeout: .seconds(15)) { h.emulator.session(id: session.id)?.muted == true }
            try await expectEventually("synced again", timeout: .seconds(15)) { h.service.status.state == .synced }
            let log = h.emulator.requestLog().filter { $0.path.contains("/interactive/sessions") }
            let limited = try #require(log.firstIndex { $0.status == 429 })
            let next = try #require(log.indices.first { $0 > limited })
            let waited = log[next].at.timeIntervalSince(log[limited].answeredAt)
            #expect(waited >= 0.9, "waited \(waited) s")
            #expect(h.observations.states.contains(.retrying))
        }
    }

    @Test("a burst of 500s is retried with backoff until the state is on the platform")
    func retriesServerErrors() async throws {
        try await withHarness { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: session.id)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            h.emulator.injectFaults([.status(500), .status(500), .status(503), .status(500)], pathContains: "/interactive/sessions")
            h.service.setDesiredState(muted: true)
            try await expectEventually("converged", timeout: .seconds(15)) { h.emulator.session(id: session.id)?.muted == true }
            try await expectEventually("synced again", timeout: .seconds(15)) { h.service.status.state == .synced }
            #expect(h.emulator.requestLog().filter { $0.status >= 500 }.count == 4)
            #expect(h.observations.states.contains(.retrying))
            #expect(h.observations.statuses.withLock { $0.contains { $0.lastError?.contains("HTTP 500") == true } })
            #expect(h.service.status.lastError == nil)
        }
    }

    @Test("a refused connection is retried until the API comes up, then the last state wins")
    func recoversFromRefusedConnection() async throws {
        let port = try await freePort()
        try await withHarness(startEmulator: false, port: port) { h in
            h.service.callStarted(sessionID: "session-late")
            h.service.setDesiredState(muted: true)
            try await expectEventually("retrying", timeout: .seconds(15)) { h.service.status.state == .retrying }
            #expect(h.service.status.lastError != nil)
            h.service.setDesiredState(muted: false)
            h.service.setDesiredState(muted: true)
            h.emulator.createSession(userID: TestValues.userID, id: "session-late")
            _ = try await h.emulator.start(port: port)
            try await expectEventually("converged", timeout: .seconds(15)) {
                h.emulator.session(id: "session-late")?.muted == true && h.service.status.state == .synced
            }
        }
    }

    @Test("403 from a read-only client: failed, names session:write, not retried")
    func forbiddenIsNotRetried() async throws {
        try await withHarness(
            emulator: emulatorConfiguration(scopes: ["session:read"]),
            configure: { $0.scope = "session:read" }
        ) { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: session.id)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            h.service.setDesiredState(muted: true)
            try await expectEventually("failed", timeout: .seconds(15)) { h.service.status.state == .failed }
            #expect(h.service.status.lastError?.contains("session:write") == true)
            try await Task.sleep(for: .milliseconds(600))
            #expect(h.log("PATCH", "/interactive").count == 1, "a 403 is not retried")
            #expect(h.service.status.state == .failed)
            #expect(h.log("GET", "/interactive").count >= 3, "watching continues with the read scope")
        }
    }

    @Test("a client not granted session:write fails at the token with the scope named")
    func tokenScopeRefused() async throws {
        try await withHarness(emulator: emulatorConfiguration(scopes: ["session:read"])) { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: session.id)
            try await expectEventually("failed", timeout: .seconds(15)) { h.service.status.state == .failed }
            #expect(h.service.status.lastError?.contains("session:write") == true)
            try await Task.sleep(for: .milliseconds(500))
            #expect(h.log("POST", "/oauth/token").count == 1, "not retried")
        }
    }

    @Test("a 404 makes the service find the new session and send the state again")
    func rediscoversAfter404() async throws {
        try await withHarness { h in
            let first = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: nil)
            h.service.setDesiredState(muted: true)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced && h.emulator.session(id: first.id)?.muted == true }
            try h.emulator.endSession(id: first.id)
            let second = h.emulator.createSession(userID: TestValues.userID, muted: false)
            try await expectEventually("re-sent to the new session", timeout: .seconds(15)) {
                h.emulator.session(id: second.id)?.muted == true && h.service.status.sessionID == second.id
                    && h.service.status.state == .synced
            }
            #expect(h.emulator.requestLog().contains { $0.status == 404 })
            #expect(h.observations.remoteChanges.isEmpty)
        }
    }

    @Test("100 rapid toggles end in the right state with few PATCHes")
    func coalescesToggles() async throws {
        try await withHarness { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: session.id)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            for index in 0...100 {
                h.service.setDesiredState(muted: index % 2 == 0)  // ends muted
            }
            try await expectEventually("converged", timeout: .seconds(15)) {
                h.emulator.session(id: session.id)?.muted == true && h.service.status.state == .synced
            }
            let patches = h.log("PATCH", "/interactive").count
            #expect(patches >= 1 && patches <= 5, "\(patches) PATCHes")
            #expect(h.observations.remoteChanges.isEmpty)
        }
    }

    @Test("a hanging API times out into retrying and converges when it recovers")
    func hangingAPI() async throws {
        try await withHarness { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: session.id)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            h.emulator.setHanging(true, pathContains: "/interactive/sessions")
            h.service.setDesiredState(muted: true)
            try await expectEventually("retrying", timeout: .seconds(15)) { h.service.status.state == .retrying }
            #expect(h.service.status.lastError?.contains("timed out") == true)
            h.emulator.setHanging(false)
            try await expectEventually("converged", timeout: .seconds(15)) {
                h.emulator.session(id: session.id)?.muted == true && h.service.status.state == .synced
            }
        }
    }

    @Test("the secret and tokens never appear in logs, status or descriptions")
    func secretsStayHidden() async throws {
        try await withHarness { h in
            let session = h.emulator.createSession(userID: TestValues.userID)
            h.service.callStarted(sessionID: nil)
            h.service.setDesiredState(muted: true)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            h.emulator.expireAllTokens()
            h.emulator.injectFaults([.status(500)])
            try h.emulator.supervisorSetMuted(sessionID: session.id, muted: false)
            try await expectEventually("remote change", timeout: .seconds(15)) { h.observations.remoteChanges == [false] }
            let tokens = h.emulator.issuedTokens()
            #expect(!tokens.isEmpty)

            var texts = h.logs.all
            #expect(texts.contains { $0.contains("found session") }, "the recorder captured the service's logs")
            texts += h.observations.statuses.withLock { $0.map { "\($0) \(String(reflecting: $0)) \($0.lastError ?? "")" } }
            let configuration = signalingConfiguration(port: h.port)
            var dumped = ""
            dump(configuration, to: &dumped)
            dump(configuration.clientSecret, to: &dumped)
            texts += [
                "\(configuration)", String(reflecting: configuration), dumped,
                "\(configuration.clientSecret)", String(reflecting: configuration.clientSecret),
            ]
            texts += h.emulator.requestLog().map { "\($0)" }
            let secretForms = [TestValues.secret, "s3cr%26t%3D%2B+x%25"]
            for text in texts {
                for secret in secretForms + tokens {
                    #expect(!text.contains(secret), "leaked in: \(text)")
                }
            }
            #expect("\(configuration.clientSecret)" == "<redacted>")
            #expect(String(reflecting: configuration.clientSecret) == "<redacted>")
        }
    }

    /// With a platform listening and every other setting valid, so that a service that
    /// ignored `none` would be seen talking to it.
    @Test("profile none stays off and sends nothing")
    func profileNone() async throws {
        try await withHarness(emulator: emulatorConfiguration(autoCreate: true), configure: { $0.profile = .none }) { h in
            h.service.callStarted(sessionID: "x")
            h.service.setDesiredState(muted: true)
            h.service.callStarted()
            h.service.setDesiredState(muted: false)
            // Several poll intervals (100 ms here) and retry delays of a live profile.
            try await Task.sleep(for: .milliseconds(500))
            #expect(h.service.status.state == .off)
            #expect(h.emulator.requestLog().isEmpty, "profile none talked to the platform: \(h.emulator.requestLog())")
            #expect(h.observations.states.allSatisfy { $0 == .off }, "\(h.observations.states)")
        }
    }

    @Test("an invalid configuration is refused with the setting named")
    func invalidConfiguration() async throws {
        var configuration = signalingConfiguration(port: 1)
        configuration.baseURL = "ftp://example"
        #expect(throws: SignalingError.self) { try configuration.validate() }
        do { try configuration.validate() } catch { #expect("\(error)".contains("base-url")) }
        configuration = signalingConfiguration(port: 1)
        configuration.userID = ""
        do { try configuration.validate() } catch { #expect("\(error)".contains("user-id")) }
        let service = PlatformSyncService(configuration: configuration)
        await #expect(throws: SignalingError.self) { try await service.run() }
    }
}
