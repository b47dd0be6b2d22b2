import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// The project's own emulator of the Genesys Cloud Platform API as the `genesys` profile
/// uses it (GENESYS.md §12): OAuth for three grants, `users/me`, call conversations with
/// participants, the asynchronous participant PATCH (202, then the change and its event
/// after ``GenesysEmulatorConfiguration/applyDelay``), notification channels with their
/// WebSocket (heartbeats, ping/pong, one socket per channel, 20 channels per client,
/// expiry), and fault injection.
///
/// The test-only surface under `/__emulator/` (loopback callers only):
///
/// | request | effect |
/// |---|---|
/// | `POST /__emulator/tokens` `{"userId", "expiresIn"?}` | a user token, as the agent desktop holds one |
/// | `POST /__emulator/tokens/revoke` `{"token"?, "userId"?}` | revoke (all of a user's, or one) |
/// | `POST /__emulator/conversations` `{"agentUserId", "customerAddress"?, "state"?, "muted"?}` | start a call |
/// | `GET /__emulator/conversations` | every conversation |
/// | `POST /__emulator/conversations/{cid}/supervisor-mute` `{"muted"}` | a supervisor's (un)mute, applied after the delay |
/// | `POST /__emulator/conversations/{cid}/end` | disconnect, then terminate |
/// | `POST /__emulator/conversations/{cid}/publish` | send the current snapshot again (an unrelated update) |
/// | `POST /__emulator/faults/ratelimit` `{"count", "retryAfterSec", "path"?}` | the next N API requests get 429 |
/// | `POST /__emulator/faults` `{"faults":[{"status",…}], "path"?}` | answer the next requests with these |
/// | `GET /__emulator/channels` | channels and whether a socket is connected |
/// | `POST /__emulator/channels/{id}/socket-closing` `{"graceMs"?}` | `v2.system.socket_closing`, then close |
/// | `POST /__emulator/channels/{id}/silence` | no more heartbeats or pongs (a half-dead socket) |
/// | `POST /__emulator/channels/{id}/expire` | expire now: HEAD → 404, socket closes 1001 |
/// | `POST /__emulator/channels/any/refuse-sockets` `{"refuse"}` | refuse WebSocket upgrades (streaming down) |
/// | `POST /__emulator/clock` `{"shiftSeconds"}` | move the emulator's clock |
/// | `POST /__emulator/config` `{"applyDelayMs"?}` | change the apply delay |
/// | `GET`/`DELETE /__emulator/requests`, `GET /__emulator/websocket-log` | the logs |
public final class GenesysEmulator: Sendable {
    private let state: Mutex<GenesysEmulatorState>
    private let server = Mutex<(server: EmulatorServer, sweeper: Task<Void, Never>)?>(nil)
    private let logger: Logger
    private let boundPort = Mutex(0)
    private let refusingSockets = Mutex(false)
    private let latencies = Mutex<[(pathSuffix: String, delay: Duration, count: Int)]>([])

    public init(configuration: GenesysEmulatorConfiguration, logger: Logger = Logger(label: "softphone.api-emulator.genesys")) {
        self.state = Mutex(GenesysEmulatorState(configuration: configuration))
        self.logger = logger
    }

    deinit {
        self.server.withLock { $0?.server.task.cancel(); $0?.sweeper.cancel() }
    }

    // MARK: - Lifecycle

    /// Starts serving HTTP and WebSocket and returns the bound port.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        guard self.server.withLock({ $0 == nil }) else { throw SessionAPIEmulatorError.alreadyRunning() }
        let responder = CallbackResponder<EmulatorRequestContext> { [weak self] request, context in
            guard let self else { return Response(status: .serviceUnavailable) }
            return try await self.respond(to: request, context: context)
        }
        let serverLogger = EmulatorServer.quieter(self.logger)
        let server = try await EmulatorServer.start(logger: serverLogger) { onRunning in
            Application(
                responder: responder,
                server: .http1WebSocketUpgrade { [weak self] request, _, _ in
                    guard let self, let channelID = Self.socketChannelID(request.path ?? ""),
                          !self.refusingSockets.withLock({ $0 }) else { return .dontUpgrade }
                    self.state.withLock { $0.upgradeAccepted(channelID: channelID) }
                    return .upgrade([:]) { inbound, outbound, _ in
                        await self.serveSocket(channelID: channelID, inbound: inbound, outbound: outbound)
                    }
                },
                configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "softphone-api-emulator"),
                onServerRunning: onRunning,
                logger: serverLogger
            )
        }
        let sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                self?.state.withLock { $0.sweepExpiredChannels() }
            }
        }
        self.server.withLock { $0 = (server, sweeper) }
        self.boundPort.withLock { $0 = server.port }
        return server.port
    }

    /// Closes every socket and stops serving.
    public func stop() async {
        guard let running = self.server.withLock({ $0.take() }) else { return }
        running.sweeper.cancel()
        self.state.withLock { state in
            for socket in state.connections.values { socket.outbound.yield(.close(code: 1001, reason: "server stopping")) }
        }
        await running.server.stop()
    }

    // MARK: - Admin (Swift)

    /// A user token for `userID`, as the agent desktop would hold (the `user-token` grant).
    public func issueUserToken(userID: String, clientID: String = "desktop", expiresIn: Int? = nil) -> (token: String, expiresIn: Int) {
        let object = self.state.withLock { $0.issueToken(userID: userID, clientID: clientID, withRefresh: false, lifetime: expiresIn) }
        return (object["access_token"] as? String ?? "", object["expires_in"] as? Int ?? 0)
    }

    /// Revokes a token (or all of a user's): requests with it get 401 and its channels' sockets close.
    public func revokeTokens(token: String? = nil, userID: String? = nil) -> Int {
        self.state.withLock { state in
            var count = 0
            for (value, var issued) in state.tokens where value == token || (userID != nil && issued.userID == userID) {
                issued.revoked = true
                state.tokens[value] = issued
                count += 1
            }
            if let userID {
                state.refreshTokens = state.refreshTokens.filter { $0.value.userID != userID }
                for channel in state.channels.values where channel.userID == userID {
                    if let connection = channel.connection, let socket = state.connections[connection] {
                        socket.outbound.yield(.text(GenesysEmulatorState.envelope(
                            topic: "v2.system.token_revoked.\(userID)",
                            body: ["channelId": channel.id, "systemTopicType": "token_revoked", "message": "token revoked"])))
                        socket.outbound.yield(.close(code: 1008, reason: "token revoked"))
                    }
                }
            }
            return count
        }
    }

    /// Starts a connected inbound call for the agent.
    @discardableResult
    public func createConversation(agentUserID: String, customerAddress: String = "tel:+15551230000", state: String = "connected",
                                   muted: Bool = false) -> EmulatedConversation {
        self.state.withLock { $0.createConversation(agentUserID: agentUserID, customerAddress: customerAddress, state: state, muted: muted) }
    }

    public func conversation(id: String) -> EmulatedConversation? {
        self.state.withLock { $0.conversations[id] }
    }

    public func conversations() -> [EmulatedConversation] {
        self.state.withLock { state in state.conversationOrder.compactMap { state.conversations[$0] } }
    }

    /// A supervisor's mute or unmute of the agent's leg, applied after the apply delay.
    public func supervisorSetMuted(conversationID: String, muted: Bool) throws {
        let target = self.state.withLock { state -> (String, Duration)? in
            guard let conversation = state.conversations[conversationID], !conversation.isEnded,
                let agent = conversation.participants.last(where: { $0.purpose == "agent" || $0.userID != nil })
            else { return nil }
            return (agent.id, state.configuration.applyDelay)
        }
        guard let (participantID, delay) = target else { throw SessionAPIEmulatorError.unknownSession(conversationID) }
        self.applyLater(conversationID: conversationID, participantID: participantID, muted: muted, delay: delay)
    }

    /// Sends the conversation's current snapshot again, as the platform does on any update
    /// to the conversation (another participant's hold, a recording state): to a client with
    /// a PATCH in flight it is a stale snapshot.
    public func republish(conversationID: String) {
        self.state.withLock { state in
            if let conversation = state.conversations[conversationID] { state.publish(conversation) }
        }
    }

    @discardableResult
    public func endConversation(id: String) throws -> EmulatedConversation {
        guard let conversation = self.state.withLock({ $0.endConversation(id) }) else { throw SessionAPIEmulatorError.unknownSession(id) }
        return conversation
    }

    /// The next `count` API requests (whose path contains `pathContains`) get 429 with `Retry-After`.
    public func injectRateLimit(count: Int, retryAfterSeconds: Int, pathContains: String? = nil) {
        self.state.withLock { $0.rateLimits.append(.init(count: count, retryAfterSeconds: retryAfterSeconds, pathContains: pathContains)) }
    }

    /// Answers the next matching API requests with `faults`, in order.
    public func injectFaults(_ faults: [InjectedFault], pathContains: String? = nil) {
        self.state.withLock { state in for fault in faults { state.faults.append((fault, pathContains)) } }
    }

    public func channels() -> [EmulatedChannel] {
        self.state.withLock { state in
            state.channels.values.sorted { $0.lastUsed < $1.lastUsed }.map {
                EmulatedChannel(id: $0.id, userID: $0.userID, clientID: $0.clientID, expires: $0.expires, lastUsed: $0.lastUsed,
                                topics: $0.topics, connected: $0.connection != nil, silenced: $0.silenced)
            }
        }
    }

    /// Sends `v2.system.socket_closing` on the channel's socket and closes it after `grace`.
    public func socketClosing(channelID: String, grace: Duration? = nil) throws {
        let (connection, wait) = try self.state.withLock { state -> (UInt64, Duration) in
            guard let channel = state.channels[channelID], let connection = channel.connection else {
                throw SessionAPIEmulatorError.unknownSession(channelID)
            }
            state.send(GenesysEmulatorState.envelope(topic: "v2.system.socket_closing", body: [
                "channelId": channelID, "systemTopicType": "socket_closing", "message": "Socket is closing for maintenance",
            ]), on: connection, evenIfSilenced: true)
            return (connection, grace ?? state.configuration.socketClosingGrace)
        }
        Task {
            try? await Task.sleep(for: wait)
            let socket = self.state.withLock { $0.connections[connection] }
            socket?.outbound.yield(.close(code: 1001, reason: "socket closing"))
        }
    }

    /// Stops heartbeats and pongs on the channel's current socket without closing it.
    public func silence(channelID: String) throws {
        try self.state.withLock { state in
            guard state.channels[channelID] != nil else { throw SessionAPIEmulatorError.unknownSession(channelID) }
            state.channels[channelID]?.silenced = true
            state.log(channelID, "silence", "heartbeats and pongs stopped")
        }
    }

    /// The next `count` API requests whose path ends with `pathSuffix` are answered `delay`
    /// late, with the state as it was when they arrived (a slow read that an event overtakes).
    public func injectLatency(pathSuffix: String, delay: Duration, count: Int = 1) {
        self.latencies.withLock { $0.append((pathSuffix, delay, count)) }
    }

    /// While `refusing`, WebSocket upgrades are refused (and open sockets closed): the
    /// streaming service is down while the REST API is up.
    public func refuseSockets(_ refusing: Bool) {
        self.refusingSockets.withLock { $0 = refusing }
        guard refusing else { return }
        self.state.withLock { state in
            for socket in state.connections.values { socket.outbound.yield(.close(code: 1011, reason: "streaming unavailable")) }
        }
    }

    /// Expires the channel now.
    public func expire(channelID: String) throws {
        try self.state.withLock { state in
            guard state.channels[channelID] != nil else { throw SessionAPIEmulatorError.unknownSession(channelID) }
            let now = state.now
            state.channels[channelID]?.expires = now
            state.sweepExpiredChannels()
        }
    }

    /// Moves the emulator's clock (token and channel expiry).
    public func shiftClock(by seconds: TimeInterval) {
        self.state.withLock { state in
            state.clockOffset += seconds
            state.sweepExpiredChannels()
        }
    }

    public func setApplyDelay(_ delay: Duration) {
        self.state.withLock { $0.configuration.applyDelay = delay }
    }

    /// The API requests served (admin excluded), credentials redacted.
    public func requestLog() -> [LoggedRequest] { self.state.withLock { $0.requestLog } }

    public func clearRequestLog() { self.state.withLock { $0.requestLog.removeAll() } }

    /// What went over the WebSockets.
    public func socketLog() -> [GenesysSocketLogEntry] { self.state.withLock { $0.socketLog } }

    /// Every access and refresh token issued, so tests can check that none leaks.
    public func issuedSecrets() -> [String] {
        self.state.withLock { Array($0.tokens.keys) + Array($0.refreshTokens.keys) + Array($0.codes.keys) }
    }

    /// 429s given because a caller spent its per-minute budget.
    public var rateLimitedRequests: Int { self.state.withLock { $0.rateLimitedRequests } }

    /// The most API requests one (user, OAuth client) made in one clock minute.
    public var busiestUserMinute: Int { self.state.withLock { $0.busiestUserMinute } }

    private func applyLater(conversationID: String, participantID: String, muted: Bool, delay: Duration) {
        if delay <= .zero {
            self.state.withLock { $0.applyMuted(conversationID: conversationID, participantID: participantID, muted: muted) }
            return
        }
        Task {
            try? await Task.sleep(for: delay)
            self.state.withLock { $0.applyMuted(conversationID: conversationID, participantID: participantID, muted: muted) }
        }
    }

    // MARK: - WebSocket

    static func socketChannelID(_ path: String) -> String? {
        let parts = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard parts.hasPrefix("/channels/") else { return nil }
        let id = String(parts.dropFirst("/channels/".count))
        return id.isEmpty || id.contains("/") ? nil : id
    }

    private func serveSocket(channelID: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let (queue, continuation) = AsyncStream.makeStream(of: SocketOutbound.self)
        guard let connection = self.state.withLock({ $0.attach(channelID: channelID, outbound: continuation) }) else {
            // An unknown or expired channel: the platform's WS answer, then a policy close.
            try? await outbound.write(.text(#"{"result":"404"}"#))
            try? await outbound.close(.policyViolation, reason: "no such channel")
            return
        }
        let interval = self.state.withLock { $0.configuration.heartbeatInterval }
        let heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                self?.state.withLock { $0.send(GenesysEmulatorState.heartbeat, on: connection) }
            }
        }
        let reader = Task { [weak self] in
            do {
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message else { continue }
                    self?.handleClientMessage(text, channelID: channelID, connection: connection)
                }
            } catch {}
            continuation.finish()
        }
        loop: for await item in queue {
            switch item {
            case .text(let text):
                do { try await outbound.write(.text(text)) } catch { break loop }
            case .close(let code, let reason):
                try? await outbound.close(.init(codeNumber: Int(code)), reason: reason)
                break loop
            }
        }
        heartbeat.cancel()
        reader.cancel()
        self.state.withLock { $0.detach(connection) }
    }

    private func handleClientMessage(_ text: String, channelID: String, connection: UInt64) {
        self.state.withLock { state in
            state.log(channelID, "in", text)
            let now = state.now
            state.channels[channelID]?.lastUsed = now
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            switch object["message"] as? String {
            case "ping":
                state.send(GenesysEmulatorState.pong, on: connection)
            case let verb? where verb == "subscribe" || verb == "unsubscribe":
                let correlation = object["correlationId"] as? String ?? ""
                guard let topics = object["topics"] as? [String] else {
                    let reply: [String: Any] = ["correlationId": correlation, "topics": [], "result": "400", "status": "error",
                                                "message": "Required data missing from subscribe request."]
                    state.send(Self.json(reply), on: connection)
                    return
                }
                if verb == "subscribe" {
                    for topic in topics where !(state.channels[channelID]?.topics.contains(topic) ?? true) {
                        state.channels[channelID]?.topics.append(topic)
                    }
                } else {
                    state.channels[channelID]?.topics.removeAll { topics.contains($0) }
                }
                state.send(Self.json(["correlationId": correlation, "topics": topics, "result": "200",
                                      "status": verb == "subscribe" ? "subscribed" : "unsubscribed"]), on: connection)
            default:
                break
            }
        }
    }

    static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    // MARK: - HTTP

    private func respond(to request: Request, context: EmulatorRequestContext) async throws -> Response {
        let incoming = try await IncomingRequest(request)
        let (path, method, arrived, body) = (incoming.path, incoming.method, incoming.arrived, incoming.body)
        let (authorization, contentType) = (incoming.authorization, incoming.contentType)
        let host = incoming.host ?? "127.0.0.1:\(self.boundPort.withLock { $0 })"
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }

        if path.hasPrefix("/__emulator/") {
            guard context.isLoopback else {
                return EmulatorAnswer.error(403, "forbidden", "the emulator's control surface serves loopback callers only").response
            }
            return self.admin(method: method, path: path, body: body).response
        }
        var answer = self.serve(method: method, path: path, query: query, body: body, authorization: authorization,
                                contentType: contentType, host: host)
        let late = self.latencies.withLock { list -> Duration? in
            guard let index = list.firstIndex(where: { path.hasSuffix($0.pathSuffix) }) else { return nil }
            list[index].count -= 1
            let delay = list[index].delay
            if list[index].count <= 0 { list.remove(at: index) }
            return delay
        }
        if let late { try? await Task.sleep(for: late) }
        answer.headers["inin-correlation-id"] = UUID().uuidString.lowercased()
        let entry = LoggedRequest(
            method: method, path: path, status: answer.status, body: EmulatorState.redactedBody(body, contentType: contentType),
            authorization: EmulatorState.redactedAuthorization(authorization), contentType: contentType, at: arrived, answeredAt: Date())
        self.state.withLock { state in
            state.requestLog.append(entry)
            if state.requestLog.count > 200_000 { state.requestLog.removeFirst(state.requestLog.count - 200_000) }
        }
        return answer.response
    }

    private func serve(method: String, path: String, query: [String: String], body: String, authorization: String?,
                       contentType: String?, host: String) -> EmulatorAnswer {
        if path == "/oauth/token" {
            guard method == "POST" else { return .error(405, "method.not.allowed", "use POST") }
            return self.state.withLock { $0.token(form: body, contentType: contentType, authorization: authorization) }
        }
        if path == "/oauth/authorize" {
            return self.state.withLock { $0.authorize(query: query) }
        }
        guard path.hasPrefix("/api/v2/") else { return .error(404, "not.found", "no such resource \(path)") }
        let parts = path.dropFirst("/api/v2/".count).split(separator: "/").map(String.init)

        var patch: (conversation: String, participant: String, muted: Bool, delay: Duration)?
        let answer = self.state.withLock { state -> EmulatorAnswer in
            if let index = state.rateLimits.firstIndex(where: { $0.pathContains.map(path.contains) ?? true }) {
                let fault = state.rateLimits[index]
                state.rateLimits[index].count -= 1
                if state.rateLimits[index].count <= 0 { state.rateLimits.remove(at: index) }
                return GenesysEmulatorState.rateLimited(fault.retryAfterSeconds)
            }
            if let index = state.faults.firstIndex(where: { $0.pathContains.map(path.contains) ?? true }) {
                let fault = state.faults.remove(at: index).fault
                return EmulatorAnswer(status: fault.status, headers: fault.headers, body: fault.body ?? "")
            }
            let caller: (token: String, GenesysEmulatorState.Token)
            switch state.caller(authorization) {
            case .success(let found): caller = found
            case .failure(let refusal): return refusal
            }
            let token = caller.1
            if let refusal = state.spendBudget(token) { return refusal }
            switch (method, parts) {
            case ("GET", ["users", "me"]):
                guard let userID = token.userID else {
                    return .error(400, "bad.request", "This request is not valid when using the Client Credentials OAuth grant.")
                }
                return .json(200, ["id": userID, "name": state.user(userID)?.name ?? userID, "state": "active",
                                   "selfUri": "/api/v2/users/\(userID)"])
            case ("GET", ["conversations", "calls"]):
                guard let userID = token.userID else {
                    return .error(400, "bad.request", "This request is not valid when using the Client Credentials OAuth grant.")
                }
                let entities = state.activeConversations(of: userID).reversed().map { $0.callConversationObject() }
                return .json(200, ["entities": entities, "pageSize": 25, "pageNumber": 1, "total": entities.count, "pageCount": 1])
            case ("GET", let p) where p.count == 3 && p[0] == "conversations" && p[1] == "calls":
                guard let conversation = state.conversations[p[2]] else { return .error(404, "not.found", "conversation \(p[2]) not found") }
                return .json(200, conversation.callConversationObject())
            case ("GET", let p) where p.count == 2 && p[0] == "conversations":
                guard let conversation = state.conversations[p[1]] else { return .error(404, "not.found", "conversation \(p[1]) not found") }
                return .json(200, conversation.conversationObject())
            case ("PATCH", let p) where (p.count == 5 && p[0] == "conversations" && p[1] == "calls" && p[3] == "participants")
                || (p.count == 4 && p[0] == "conversations" && p[2] == "participants"):
                let conversationID = p.count == 5 ? p[2] : p[1]
                let participantID = p.count == 5 ? p[4] : p[3]
                let checked = state.checkPatch(conversationID: conversationID, participantID: participantID, body: body, caller: token)
                if checked.answer.status == 202, let muted = checked.muted {
                    patch = (conversationID, participantID, muted, state.configuration.applyDelay)
                }
                return checked.answer
            case ("POST", ["notifications", "channels"]):
                return .json(200, state.createChannel(token: token, host: host))
            case ("GET", ["notifications", "channels"]):
                let mine = state.channels.values.filter { $0.userID == token.userID && $0.clientID == token.clientID }
                return .json(200, ["entities": mine.map {
                    ["id": $0.id, "connectUri": "ws://\(host)/channels/\($0.id)", "expires": GenesysClock.format($0.expires)]
                }])
            case ("HEAD", let p) where p.count == 3 && p[0] == "notifications" && p[1] == "channels":
                return EmulatorAnswer(status: state.ownedChannel(p[2], by: token) == nil ? 404 : 200)
            case (let verb, let p) where p.count == 4 && p[0] == "notifications" && p[1] == "channels" && p[3] == "subscriptions":
                guard var channel = state.ownedChannel(p[2], by: token) else { return .error(404, "not.found", "channel \(p[2]) not found") }
                switch verb {
                case "GET":
                    return .json(200, GenesysEmulatorState.topicListing(channel.topics))
                case "PUT", "POST":
                    switch state.checkTopics(body, token: token) {
                    case .failure(let refusal): return refusal
                    case .success(let topics):
                        channel.topics = verb == "PUT" ? topics : channel.topics + topics.filter { !channel.topics.contains($0) }
                    }
                    channel.lastUsed = state.now
                    state.channels[channel.id] = channel
                    return .json(200, GenesysEmulatorState.topicListing(channel.topics))
                case "DELETE":
                    state.channels[channel.id]?.topics = []
                    return EmulatorAnswer(status: 200)
                default:
                    return .error(405, "method.not.allowed", "use GET, PUT, POST or DELETE")
                }
            default:
                return .error(404, "not.found", "no such resource \(method) \(path)")
            }
        }
        if let patch {
            self.applyLater(conversationID: patch.conversation, participantID: patch.participant, muted: patch.muted, delay: patch.delay)
        }
        return answer
    }

    private func admin(method: String, path: String, body: String) -> EmulatorAnswer {
        let parts = path.split(separator: "/").dropFirst().map(String.init)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        func conversationObject(_ c: EmulatedConversation) -> [String: Any] {
            var o = c.callConversationObject()
            if let agent = c.participants.last(where: { $0.userID != nil }) {
                o["agentParticipantId"] = agent.id
                o["agentUserId"] = agent.userID
            }
            return o
        }
        do {
            switch (method, parts) {
            case ("POST", ["tokens"]):
                guard let user = object["userId"] as? String else { return .error(400, "bad.request", "expected {\"userId\"}") }
                let issued = self.issueUserToken(userID: user, expiresIn: object["expiresIn"] as? Int)
                return .json(200, ["access_token": issued.token, "expires_in": issued.expiresIn])
            case ("POST", ["tokens", "revoke"]):
                return .json(200, ["revoked": self.revokeTokens(token: object["token"] as? String, userID: object["userId"] as? String)])
            case ("POST", ["conversations"]):
                guard let agent = object["agentUserId"] as? String else { return .error(400, "bad.request", "expected {\"agentUserId\"}") }
                let c = self.createConversation(agentUserID: agent, customerAddress: object["customerAddress"] as? String ?? "tel:+15551230000",
                                                state: object["state"] as? String ?? "connected", muted: object["muted"] as? Bool ?? false)
                return .json(201, conversationObject(c))
            case ("GET", ["conversations"]):
                return .json(200, ["entities": self.conversations().map(conversationObject)])
            case ("POST", let p) where p.count == 3 && p[0] == "conversations" && p[2] == "supervisor-mute":
                guard let muted = object["muted"] as? Bool else { return .error(400, "bad.request", "expected {\"muted\": bool}") }
                try self.supervisorSetMuted(conversationID: p[1], muted: muted)
                return .json(202, ["muted": muted])
            case ("POST", let p) where p.count == 3 && p[0] == "conversations" && p[2] == "publish":
                self.republish(conversationID: p[1])
                return .json(200, ["published": p[1]])
            case ("POST", let p) where p.count == 3 && p[0] == "conversations" && p[2] == "end":
                return .json(200, conversationObject(try self.endConversation(id: p[1])))
            case ("POST", ["faults", "ratelimit"]):
                self.injectRateLimit(count: object["count"] as? Int ?? 1, retryAfterSeconds: object["retryAfterSec"] as? Int ?? 1,
                                     pathContains: object["path"] as? String)
                return .json(200, ["queued": object["count"] as? Int ?? 1])
            case ("POST", ["faults"]):
                let list = object["faults"] as? [[String: Any]] ?? []
                let faults = list.compactMap { item -> InjectedFault? in
                    guard let status = item["status"] as? Int, (100...599).contains(status) else { return nil }
                    return InjectedFault(status: status, headers: item["headers"] as? [String: String] ?? [:], body: item["body"] as? String)
                }
                guard !faults.isEmpty, faults.count == list.count else { return .error(400, "bad.request", "each fault needs a status 100…599") }
                self.injectFaults(faults, pathContains: object["path"] as? String)
                return .json(200, ["queued": faults.count])
            case ("GET", ["channels"]):
                return .json(200, ["entities": self.channels().map {
                    ["id": $0.id, "userId": $0.userID ?? NSNull(), "connected": $0.connected, "silenced": $0.silenced,
                     "topics": $0.topics, "expires": GenesysClock.format($0.expires)] as [String: Any]
                }])
            case ("POST", let p) where p.count == 3 && p[0] == "channels":
                switch p[2] {
                case "socket-closing": try self.socketClosing(channelID: p[1], grace: (object["graceMs"] as? Int).map { .milliseconds($0) })
                case "silence": try self.silence(channelID: p[1])
                case "expire": try self.expire(channelID: p[1])
                case "refuse-sockets": self.refuseSockets(object["refuse"] as? Bool ?? true)
                default: return .error(404, "not.found", "no channel action \(p[2])")
                }
                return .json(200, ["channel": p[1], "action": p[2]])
            case ("POST", ["clock"]):
                self.shiftClock(by: object["shiftSeconds"] as? Double ?? Double(object["shiftSeconds"] as? Int ?? 0))
                return .json(200, ["shifted": true])
            case ("POST", ["config"]):
                if let ms = object["applyDelayMs"] as? Int { self.setApplyDelay(.milliseconds(ms)) }
                return .json(200, ["ok": true])
            case ("GET", ["requests"]):
                return Self.encoded(self.requestLog())
            case ("DELETE", ["requests"]):
                self.clearRequestLog()
                return EmulatorAnswer(status: 204)
            case ("GET", ["websocket-log"]):
                return Self.encoded(self.socketLog())
            default:
                return .error(404, "not.found", "no control endpoint \(method) \(path)")
            }
        } catch {
            return .error(404, "not.found", "\(error)")
        }
    }

    private static func encoded(_ value: some Encodable) -> EmulatorAnswer {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("[]".utf8)
        return EmulatorAnswer(status: 200, headers: ["Content-Type": "application/json"], body: String(decoding: data, as: UTF8.self))
    }

}
