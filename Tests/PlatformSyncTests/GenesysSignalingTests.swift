import AsyncHTTPClient
import DaemonTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SessionAPIEmulator
import PlatformSync
import Synchronization
import Testing

enum GenesysValues {
    static let agent = "agent-g1"
    static let supervisor = "supervisor-g1"
    static let client = "softphone-pkce"
}

/// The `genesys` profile's service against the project's Genesys Cloud emulator, over real
/// HTTP and WebSocket on 127.0.0.1.
struct GenesysHarness: Sendable {
    let emulator: GenesysEmulator
    let service: PlatformSyncService
    let observations: Observations
    let logs: LogRecorder
    let port: Int

    func patches() -> [LoggedRequest] {
        self.emulator.requestLog().filter { $0.method == "PATCH" }
    }

    func requests(_ method: String, _ pathSuffix: String) -> [LoggedRequest] {
        self.emulator.requestLog().filter { $0.method == method && $0.path.hasSuffix(pathSuffix) }
    }

    var status: SignalingStatus { self.service.status }

    func agentMuted(_ conversation: EmulatedConversation) -> Bool? {
        self.emulator.conversation(id: conversation.id)?.participant(ofUser: GenesysValues.agent)?.muted
    }

    /// Waits until the service found the call and the WebSocket is connected and synced.
    func waitUntilSynced(_ what: String = "synced with the WebSocket connected", timeout: Duration = .seconds(15)) async throws {
        try await expectEventually(what, timeout: timeout) {
            let status = self.status
            return status.state == .synced && status.channel?.state == .connected && status.conversationID != nil
        }
    }

    /// Every secret the emulator issued, checked against logs and status.
    func expectNoSecretLeaked(sourceLocation: SourceLocation = #_sourceLocation) {
        let secrets = self.emulator.issuedSecrets()
        let text = self.logs.all.joined(separator: "\n") + "\(self.status)" + self.observations.statuses.withLock { "\($0)" }
        for secret in secrets where text.contains(secret) {
            Issue.record("a token leaked into logs or status", sourceLocation: sourceLocation)
        }
    }
}

func genesysEmulatorConfiguration(applyDelay: Duration = .milliseconds(40), tokenLifetime: Int = 3600,
                                  heartbeat: Duration = .seconds(30)) -> GenesysEmulatorConfiguration {
    GenesysEmulatorConfiguration(
        users: [
            .init(id: GenesysValues.agent, name: "Agent"),
            .init(id: GenesysValues.supervisor, name: "Supervisor", permissions: [GenesysEmulatorConfiguration.disconnectPermission]),
        ],
        clients: [GenesysValues.client: .init(secret: nil), "desktop": .init(secret: nil)],
        loginUserID: GenesysValues.agent,
        tokenLifetime: tokenLifetime,
        applyDelay: applyDelay,
        heartbeatInterval: heartbeat)
}

/// Starts a Genesys emulator with a connected call for the agent and the `genesys`
/// service (grant `user-token` unless `configure` says otherwise) against it.
func withGenesys(
    emulator emulatorConfiguration: GenesysEmulatorConfiguration = genesysEmulatorConfiguration(),
    handToken: Bool = true,
    startCall: Bool = true,
    configure: (inout PlatformSyncConfiguration, inout GenesysSettings) -> Void = { _, _ in },
    _ body: (GenesysHarness, EmulatedConversation) async throws -> Void
) async throws {
    let emulator = GenesysEmulator(configuration: emulatorConfiguration)
    let port = try await emulator.start()
    let conversation = emulator.createConversation(agentUserID: GenesysValues.agent)
    var settings = GenesysSettings(
        apiBaseURL: "http://127.0.0.1:\(port)/api/v2", loginBaseURL: "http://127.0.0.1:\(port)",
        socketSilence: .seconds(30), pongTimeout: .seconds(5), confirmationTimeout: .seconds(3))
    var configuration = PlatformSyncConfiguration(
        profile: .genesys, baseURL: settings.apiBaseURL, tokenURL: settings.tokenURL, clientID: GenesysValues.client,
        clientSecret: Secret(""), userID: "", pollInterval: .milliseconds(200), requestTimeout: .seconds(2),
        tokenMargin: .seconds(60), backoffBase: .milliseconds(50), backoffMax: .milliseconds(400))
    configure(&configuration, &settings)
    configuration.genesys = settings
    let observations = Observations()
    let logs = LogRecorder()
    let service = PlatformSyncService(
        configuration: configuration, logger: logs.logger(),
        onRemoteChange: { muted in observations.remote.withLock { $0.append(muted) } },
        onStatusChange: { status in observations.statuses.withLock { $0.append(status) } })
    if handToken && settings.grant == .userToken {
        let issued = emulator.issueUserToken(userID: GenesysValues.agent, expiresIn: 3600)
        try service.setToken(Secret(issued.token), expiresIn: .seconds(issued.expiresIn))
    }
    let running = Task { try await service.run() }
    if startCall { service.callStarted() }
    let harness = GenesysHarness(emulator: emulator, service: service, observations: observations, logs: logs, port: port)
    defer { running.cancel() }
    do {
        try await body(harness, conversation)
    } catch {
        running.cancel()
        _ = await running.result
        await emulator.stop()
        throw error
    }
    harness.expectNoSecretLeaked()
    running.cancel()
    _ = await running.result
    await emulator.stop()
}

@Suite("genesys profile against the Genesys Cloud emulator")
struct GenesysSignalingTests {
    @Test("a local mute is exactly one PATCH {\"muted\":true}, answered 202, confirmed by the event and not taken for a remote change")
    func localMuteIsOnePatchConfirmedByEvent() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            #expect(h.status.participantID == call.participant(ofUser: GenesysValues.agent)?.id)
            #expect(h.requests("GET", "/users/me").count == 1)
            h.emulator.clearRequestLog()
            h.service.setDesiredState(muted: true)
            try await expectEventually("the platform applies the mute", timeout: .seconds(15)) { h.agentMuted(call) == true }
            try await expectEventually("the event confirms it", timeout: .seconds(15)) { h.status.state == .synced && h.status.platformMuted == true }
            try await Task.sleep(for: .milliseconds(300))
            let patches = h.patches()
            #expect(patches.count == 1)
            #expect(patches.first?.body == #"{"muted":true}"#)
            #expect(patches.first?.status == 202)
            #expect(patches.first?.path == "/api/v2/conversations/calls/\(call.id)/participants/\(call.participant(ofUser: GenesysValues.agent)!.id)")
            #expect(h.observations.remoteChanges.isEmpty, "the daemon's own mute was reported as remote")
            // Push, not polling: with the socket up, nothing reads the call again.
            #expect(h.requests("GET", "/conversations/calls/\(call.id)").isEmpty)
        }
    }

    @Test("a stale snapshot that still shows the old value while our PATCH is pending is not a remote unmute")
    func staleSnapshotWhilePending() async throws {
        try await withGenesys(emulator: genesysEmulatorConfiguration(applyDelay: .milliseconds(900))) { h, call in
            try await h.waitUntilSynced()
            h.service.setDesiredState(muted: true)
            try await expectEventually("the PATCH was accepted", timeout: .seconds(15)) { h.patches().count == 1 }
            // An unrelated update of the conversation: its snapshot still says muted=false.
            h.emulator.republish(conversationID: call.id)
            try await Task.sleep(for: .milliseconds(200))
            #expect(h.service.desiredMuted == true, "a stale snapshot unmuted the agent")
            #expect(h.observations.remoteChanges.isEmpty)
            try await expectEventually("the platform confirms the mute", timeout: .seconds(15)) { h.status.platformMuted == true && h.status.state == .synced }
            #expect(h.observations.remoteChanges.isEmpty)
            #expect(h.patches().count == 1, "the stale snapshot caused a second PATCH")
        }
    }

    @Test("a supervisor's mute and unmute are reported as remote changes, and the daemon sends nothing back")
    func supervisorMuteAndUnmute() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: true)
            try await expectEventually("remote mute", timeout: .seconds(15)) { h.observations.remoteChanges == [true] }
            #expect(h.service.desiredMuted)
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: false)
            try await expectEventually("remote unmute", timeout: .seconds(15)) { h.observations.remoteChanges == [true, false] }
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.patches().isEmpty, "the daemon echoed the supervisor's change back")
            #expect(h.status.state == .synced)
        }
    }

    @Test("socket_closing: the new socket opens on the same channel before the old one closes; no change is lost or doubled")
    func socketClosingOverlap() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            let channel = try #require(h.emulator.channels().first)
            try h.emulator.socketClosing(channelID: channel.id, grace: .seconds(3))
            try await expectEventually("a second socket on the same channel", timeout: .seconds(15)) {
                h.emulator.socketLog().filter { $0.kind == "open" && $0.channelID == channel.id }.count == 2
            }
            // The old socket was replaced (closed by the platform) only once the new one was open.
            let log = h.emulator.socketLog()
            let secondOpen = try #require(log.lastIndex { $0.kind == "open" })
            #expect(!log[..<secondOpen].contains { $0.kind == "close" }, "the old socket closed before the new one opened")
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: true)
            try await expectEventually("remote mute through the new socket", timeout: .seconds(15)) { h.observations.remoteChanges == [true] }
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.observations.remoteChanges == [true])
            #expect(h.emulator.channels().count == 1, "a new channel was made instead of reusing ours")
            #expect(h.requests("POST", "/notifications/channels").count == 1)
            // Reconciled after the reconnect: the calls were read again.
            #expect(h.requests("GET", "/conversations/calls").count >= 2)
        }
    }

    @Test("a reconcile read that an event overtakes shows older state: not a remote change")
    func overtakenReadIsNotARemoteChange() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            let channel = try #require(h.emulator.channels().first)
            // The reconcile after the next reconnect answers 600 ms late, with the state of its arrival.
            h.emulator.injectLatency(pathSuffix: "/conversations/calls", delay: .milliseconds(600))
            try h.emulator.socketClosing(channelID: channel.id, grace: .seconds(3))
            try await expectEventually("the reconcile read is on its way", timeout: .seconds(15)) {
                h.requests("GET", "/conversations/calls").count >= 2 || h.emulator.socketLog().filter { $0.kind == "open" }.count == 2
            }
            try await Task.sleep(for: .milliseconds(100))
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: true)
            try await expectEventually("remote mute", timeout: .seconds(15)) { h.observations.remoteChanges == [true] }
            try await Task.sleep(for: .milliseconds(900))
            #expect(h.observations.remoteChanges == [true], "the overtaken read was taken for a remote unmute")
            #expect(h.service.desiredMuted)
        }
    }

    @Test("a silent (half-dead) socket is pinged, found dead and replaced; changes keep arriving")
    func silentSocketReplaced() async throws {
        try await withGenesys(configure: { _, settings in
            settings.socketSilence = .milliseconds(300)
            settings.pongTimeout = .milliseconds(300)
        }) { h, call in
            try await h.waitUntilSynced()
            let channel = try #require(h.emulator.channels().first)
            // Alive without heartbeats: pings are answered.
            try await Task.sleep(for: .milliseconds(900))
            #expect(h.emulator.socketLog().filter { $0.kind == "open" }.count == 1, "a healthy socket was replaced")
            #expect(h.emulator.socketLog().contains { $0.kind == "in" && $0.text.contains("ping") })
            try h.emulator.silence(channelID: channel.id)
            try await expectEventually("a new socket", timeout: .seconds(15)) { h.emulator.socketLog().filter { $0.kind == "open" }.count == 2 }
            try await h.waitUntilSynced()
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: true)
            try await expectEventually("remote mute after the replacement", timeout: .seconds(15)) { h.observations.remoteChanges == [true] }
            #expect(h.observations.statuses.withLock { $0.contains { $0.channel?.state == .reconnecting } })
        }
    }

    @Test("an expired channel is replaced by a new one with its subscription")
    func channelExpiry() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            let first = try #require(h.emulator.channels().first)
            try h.emulator.expire(channelID: first.id)
            try await expectEventually("a new channel with the subscription", timeout: .seconds(15)) {
                let channels = h.emulator.channels()
                return channels.count == 1 && channels[0].id != first.id && channels[0].connected
                    && channels[0].topics == ["v2.users.\(GenesysValues.agent).conversations"]
            }
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: true)
            try await expectEventually("remote mute on the new channel", timeout: .seconds(15)) { h.observations.remoteChanges == [true] }
            #expect(h.requests("HEAD", "/notifications/channels/\(first.id)").count >= 1)
        }
    }

    @Test("429 with Retry-After is honoured with the latest state; above 180 s the profile gives up and says so")
    func rateLimited() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            h.emulator.injectRateLimit(count: 1, retryAfterSeconds: 1, pathContains: "/participants/")
            let started = ContinuousClock.now
            h.service.setDesiredState(muted: true)
            h.service.setDesiredState(muted: false)
            h.service.setDesiredState(muted: true)
            try await expectEventually("muted on the platform after the wait", timeout: .seconds(15)) { h.agentMuted(call) == true }
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(h.patches().map(\.status) == [429, 202])
            #expect(h.patches().allSatisfy { $0.body == #"{"muted":true}"# })

            h.emulator.injectRateLimit(count: 1, retryAfterSeconds: 600, pathContains: "/participants/")
            h.service.setDesiredState(muted: false)
            try await expectEventually("given up", timeout: .seconds(15)) { h.status.state == .failed }
            #expect(h.status.lastError?.contains("more than 180 s") == true)
            try await Task.sleep(for: .milliseconds(500))
            #expect(h.patches().count == 3, "retried after a Retry-After above 180 s")
        }
    }

    @Test("5xx answers are retried with backoff until the platform accepts")
    func serverErrorsRetried() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            h.emulator.injectFaults([InjectedFault(status: 503), InjectedFault(status: 500)], pathContains: "/participants/")
            h.service.setDesiredState(muted: true)
            try await expectEventually("muted after the retries", timeout: .seconds(15)) { h.agentMuted(call) == true && h.status.state == .synced }
            #expect(h.patches().map(\.status) == [503, 500, 202])
            #expect(h.observations.states.contains(.retrying))
        }
    }

    @Test("a revoked user token stops signaling with a clear error until a new one is handed over")
    func tokenRevocation() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            _ = h.emulator.revokeTokens(userID: GenesysValues.agent)
            h.service.setDesiredState(muted: true)
            try await expectEventually("failed for want of a token", timeout: .seconds(15)) { h.status.state == .failed && h.status.lastError?.contains("auth.setToken") == true }
            let fresh = h.emulator.issueUserToken(userID: GenesysValues.agent, expiresIn: 3600)
            try h.service.setToken(Secret(fresh.token), expiresIn: .seconds(fresh.expiresIn))
            try await expectEventually("muted with the new token", timeout: .seconds(15)) { h.agentMuted(call) == true }
            try await h.waitUntilSynced()
        }
    }

    @Test("a revoked token is replaced through api.token-file: the daemon notices the file changed")
    func tokenFileRenewed() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("genesys-token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withGenesys(handToken: false, configure: { _, settings in settings.tokenFile = file }) { h, call in
            let first = h.emulator.issueUserToken(userID: GenesysValues.agent)
            FileManager.default.createFile(atPath: file, contents: Data(first.token.utf8), attributes: [.posixPermissions: 0o600])
            try await h.waitUntilSynced()
            _ = h.emulator.revokeTokens(userID: GenesysValues.agent)
            h.service.setDesiredState(muted: true)
            try await expectEventually("failed for want of a token", timeout: .seconds(15)) { h.status.state == .failed }
            try await Task.sleep(for: .milliseconds(1100))  // a new modification time
            let second = h.emulator.issueUserToken(userID: GenesysValues.agent)
            try Data(second.token.utf8).write(to: URL(fileURLWithPath: file))
            try await expectEventually("muted with the token from the file", timeout: .seconds(15)) { h.agentMuted(call) == true }
            try await h.waitUntilSynced()
        }
    }

    @Test("a channel is renewed before it expires: a new channel and socket first, then the old one goes")
    func channelRenewal() async throws {
        var configuration = genesysEmulatorConfiguration()
        configuration.channelLifetime = .seconds(6)
        try await withGenesys(emulator: configuration, configure: { _, settings in
            settings.channelRenewMargin = .seconds(4)
        }) { h, call in
            try await h.waitUntilSynced()
            let first = try #require(h.emulator.channels().first)
            try await expectEventually("renewed", timeout: .seconds(15)) { h.requests("POST", "/notifications/channels").count >= 2 }
            try await expectEventually("the old channel's socket let go", timeout: .seconds(15)) {
                h.emulator.channels().filter(\.connected).map(\.id).allSatisfy { $0 != first.id }
            }
            let log = h.emulator.socketLog()
            let secondOpen = try #require(log.firstIndex { $0.kind == "open" && $0.channelID != first.id })
            #expect(!log[..<secondOpen].contains { $0.kind == "close" && $0.channelID == first.id }, "the old socket closed before the new one opened")
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: true)
            try await expectEventually("remote mute on the renewed channel", timeout: .seconds(15)) { h.observations.remoteChanges == [true] }
            #expect(h.observations.remoteChanges == [true])
        }
    }

    @Test("with the WebSocket down the call is polled, and a supervisor's change still arrives; with it back, polling stops")
    func pollsOnlyWhileTheSocketIsDown() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            h.emulator.refuseSockets(true)
            try await expectEventually("the channel is down", timeout: .seconds(15)) { h.status.channel?.state != .connected }
            try h.emulator.supervisorSetMuted(conversationID: call.id, muted: true)
            try await expectEventually("remote mute learnt by polling", timeout: .seconds(15)) { h.observations.remoteChanges == [true] }
            #expect(h.requests("GET", "/conversations/calls/\(call.id)").count >= 1)
            h.emulator.refuseSockets(false)
            try await h.waitUntilSynced(timeout: .seconds(20))
            try await Task.sleep(for: .milliseconds(100))
            let polled = h.requests("GET", "/conversations/calls/\(call.id)").count
            try await Task.sleep(for: .milliseconds(600))
            #expect(h.requests("GET", "/conversations/calls/\(call.id)").count == polled, "still polling with the socket up")
        }
    }

    @Test("a call ended on the platform is forgotten: no PATCH for it afterwards")
    func callEndedOnThePlatform() async throws {
        try await withGenesys { h, call in
            try await h.waitUntilSynced()
            _ = try h.emulator.endConversation(id: call.id)
            try await expectEventually("forgotten", timeout: .seconds(15)) { h.status.conversationID == nil }
            h.service.setDesiredState(muted: true)
            try await Task.sleep(for: .milliseconds(400))
            #expect(h.patches().isEmpty)
            #expect(h.status.state == .pending)
        }
    }

    @Test("pkce: the login exchanges the code with its verifier, keeps the refresh token 0600 and refreshes before expiry")
    func pkceLoginAndRefresh() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("genesys-pkce-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withGenesys(emulator: genesysEmulatorConfiguration(tokenLifetime: 2), configure: { configuration, settings in
            settings.grant = .pkce
            settings.stateDirectory = directory.path
            configuration.tokenMargin = .seconds(1)
        }) { h, call in
            try await expectEventually("not logged in yet", timeout: .seconds(15)) { h.status.lastError?.contains("softphonectl login") == true }
            let login = try await h.service.beginLogin()
            #expect(login.url.contains("code_challenge_method=S256") && login.url.contains("code_challenge="))
            // The browser: the platform's authorize page redirects to the loopback listener.
            var browser = HTTPClient.Configuration()
            browser.redirectConfiguration = .disallow
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: browser)
            let authorize = try await http.execute(HTTPClientRequest(url: login.url), timeout: .seconds(5))
            #expect(authorize.status == .found)
            let location = try #require(authorize.headers.first(name: "Location"))
            #expect(location.hasPrefix(login.redirectURI))
            let redirect = try await http.execute(HTTPClientRequest(url: location), timeout: .seconds(5))
            #expect(redirect.status == .ok)
            try await http.shutdown()
            let outcome = await h.service.waitForLogin(timeout: .seconds(10))
            #expect((try? outcome.get()) != nil)
            let file = directory.appendingPathComponent("genesys-refresh-token").path
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600)
            try await h.waitUntilSynced()
            // Tokens live 2 s: renewed ahead of expiry while only the WebSocket is in use.
            try await Task.sleep(for: .milliseconds(2500))
            #expect(h.emulator.requestLog().contains { $0.path == "/oauth/token" && $0.body.contains("grant_type=refresh_token") },
                    "the token was not renewed while idle")
            h.service.setDesiredState(muted: true)
            try await expectEventually("muted with a refreshed token", timeout: .seconds(15)) { h.agentMuted(call) == true }
            let grants = h.emulator.requestLog().filter { $0.path == "/oauth/token" }.map(\.body)
            #expect(grants.first?.contains("grant_type=authorization_code") == true)
            #expect(grants.first?.contains("code_verifier=") == true)
            #expect(grants.contains { $0.contains("grant_type=refresh_token") })
            #expect(!h.emulator.requestLog().contains { $0.status == 401 && $0.path.hasPrefix("/api/") }, "a token was used after it expired")
        }
    }

    @Test("client-credentials: users/me is refused for a client token, and the error says so")
    func clientCredentialsCannotFindTheUser() async throws {
        var emulator = genesysEmulatorConfiguration()
        emulator.clients["service"] = .init(secret: "service-secret")
        try await withGenesys(emulator: emulator, configure: { configuration, settings in
            settings.grant = .clientCredentials
            configuration.clientID = "service"
            configuration.clientSecret = Secret("service-secret")
        }) { h, _ in
            try await expectEventually("the platform's refusal surfaces", timeout: .seconds(15)) {
                h.status.lastError?.contains("not valid when using the Client Credentials") == true
            }
            #expect(h.requests("GET", "/users/me").allSatisfy { $0.status == 400 })
            #expect(h.emulator.requestLog().first { $0.path == "/oauth/token" }?.authorization == "Basic <redacted>")
        }
    }
}

@Suite("PlatformMuteTracker")
struct PlatformMuteTrackerTests {
    @Test("first sight, confirmation, stale snapshots and remote changes")
    func rules() {
        var tracker = PlatformMuteTracker()
        #expect(tracker.observe(false) == .initial(false))
        #expect(tracker.observe(false) == .unchanged)
        tracker.sent(true)
        #expect(tracker.observe(false) == .stale)
        #expect(tracker.observe(true) == .confirmed(true))
        #expect(!tracker.isPending)
        #expect(tracker.observe(false) == .remote(false))
        #expect(tracker.observe(true) == .remote(true))
        tracker.sent(false)
        tracker.failed(false)
        #expect(!tracker.isPending)
        #expect(tracker.observe(true) == .unchanged)
    }
}

@Suite("ConversationSnapshot")
struct ConversationSnapshotTests {
    @Test("both shapes parse; the agent's participant is the user's newest connected one, never voicemail")
    func participantChoice() throws {
        let event: [String: Any] = ["id": "c1", "participants": [
            ["id": "p-old", "userId": "u", "purpose": "agent", "calls": [["state": "disconnected", "muted": true]]],
            ["id": "p-vm", "userId": "u", "purpose": "voicemail", "calls": [["state": "connected", "muted": false]]],
            ["id": "p-new", "userId": "u", "purpose": "agent", "calls": [["state": "terminated", "muted": false], ["state": "connected", "muted": true]]],
            ["id": "p-c", "purpose": "customer", "calls": [["state": "connected", "muted": false]]],
        ]]
        let snapshot = try ConversationSnapshot.parse(event, label: "test")
        let agent = try #require(snapshot.agentParticipant(userID: "u"))
        #expect(agent.id == "p-new" && agent.muted && agent.state == "connected")
        let flat: [String: Any] = ["id": "c2", "participants": [["id": "p1", "user": ["id": "u"], "purpose": "user", "state": "connected", "muted": true]]]
        #expect(try ConversationSnapshot.parse(flat, label: "test").agentParticipant(userID: "u")?.muted == true)
        #expect(throws: SignalingError.self) { try ConversationSnapshot.parse(["participants": []], label: "test") }
        #expect(throws: SignalingError.self) { try ConversationSnapshot.parse(Data("[1]".utf8), label: "test") }
    }
}

@Suite("GenesysEmulator")
struct GenesysEmulatorTests {
    @Test("the 21st channel of a user and client evicts the oldest unconnected one; HEAD tells")
    func channelEviction() async throws {
        let emulator = GenesysEmulator(configuration: genesysEmulatorConfiguration())
        let port = try await emulator.start()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let token = emulator.issueUserToken(userID: GenesysValues.agent).token
        func send(_ method: HTTPMethod, _ path: String) async throws -> (Int, [String: Any]) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v2\(path)")
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await http.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:])
        }
        var ids: [String] = []
        for _ in 0..<20 {
            let (status, channel) = try await send(.POST, "/notifications/channels")
            #expect(status == 200)
            ids.append(channel["id"] as? String ?? "")
        }
        #expect(try await send(.HEAD, "/notifications/channels/\(ids[0])").0 == 200)
        _ = try await send(.POST, "/notifications/channels")
        #expect(emulator.channels().count == 20)
        #expect(try await send(.HEAD, "/notifications/channels/\(ids[0])").0 == 404, "the oldest channel was not evicted")
        #expect(try await send(.HEAD, "/notifications/channels/\(ids[1])").0 == 200)
        #expect(try await send(.GET, "/users/me").1["id"] as? String == GenesysValues.agent)
        try await http.shutdown()
        await emulator.stop()
    }
}
