import Crypto
import Foundation

/// Something to send down one emulated WebSocket.
enum SocketOutbound: Sendable {
    case text(String)
    case close(code: UInt16, reason: String)
}

/// The emulated Genesys Cloud organisation's state and the rules of its contract, free of
/// HTTP and WebSocket plumbing. Every method runs under the emulator's one lock.
struct GenesysEmulatorState: Sendable {
    struct Token: Sendable {
        var userID: String?
        var clientID: String
        var expiresAt: Date
        var revoked = false
    }

    struct Code: Sendable {
        var userID: String
        var clientID: String
        var redirectURI: String
        var challenge: String?
    }

    struct Channel: Sendable {
        var id: String
        var userID: String?
        var clientID: String
        var expires: Date
        var lastUsed: Date
        var topics: [String] = []
        var connection: UInt64?
        var silenced = false
    }

    struct Connection: Sendable {
        var channelID: String
        var outbound: AsyncStream<SocketOutbound>.Continuation
    }

    struct RateLimitFault: Sendable {
        var count: Int
        var retryAfterSeconds: Int
        var pathContains: String?
    }

    var configuration: GenesysEmulatorConfiguration
    var clockOffset: TimeInterval = 0
    var tokens: [String: Token] = [:]
    var refreshTokens: [String: (userID: String, clientID: String)] = [:]
    var codes: [String: Code] = [:]
    var conversations: [String: EmulatedConversation] = [:]
    var conversationOrder: [String] = []
    var channels: [String: Channel] = [:]
    var connections: [UInt64: Connection] = [:]
    var nextConnection: UInt64 = 1
    var rateLimits: [RateLimitFault] = []
    var faults: [(fault: InjectedFault, pathContains: String?)] = []
    var requestLog: [LoggedRequest] = []
    var socketLog: [GenesysSocketLogEntry] = []
    /// Requests per (user or client, OAuth client) in the current minute.
    var rateWindows: [String: (minute: Int, count: Int)] = [:]
    /// 429s given because a caller went over ``GenesysEmulatorConfiguration/userRatePerMinute``.
    var rateLimitedRequests = 0
    /// The most requests one (user, client) made in one clock minute.
    var busiestUserMinute = 0
    var nextID: UInt64 = 1

    init(configuration: GenesysEmulatorConfiguration) {
        self.configuration = configuration
    }

    var now: Date { Date().addingTimeInterval(self.clockOffset) }

    mutating func makeID(_ prefix: String) -> String {
        defer { self.nextID += 1 }
        return String(format: "%@-%04llx-%08x", prefix, self.nextID, UInt32.random(in: 0...UInt32.max))
    }

    func user(_ id: String) -> GenesysEmulatorConfiguration.User? {
        self.configuration.users.first { $0.id == id }
    }

    // MARK: - OAuth

    mutating func issueToken(userID: String?, clientID: String, withRefresh: Bool, lifetime: Int? = nil) -> [String: Any] {
        let token = EmulatorState.randomToken()
        let seconds = lifetime ?? self.configuration.tokenLifetime
        self.tokens[token] = Token(userID: userID, clientID: clientID, expiresAt: self.now.addingTimeInterval(TimeInterval(seconds)))
        var object: [String: Any] = ["access_token": token, "token_type": "bearer", "expires_in": seconds]
        if withRefresh, let userID {
            let refresh = EmulatorState.randomToken()
            self.refreshTokens[refresh] = (userID, clientID)
            object["refresh_token"] = refresh
        }
        return object
    }

    /// `GET /oauth/authorize`: logs in ``GenesysEmulatorConfiguration/loginUserID`` at once
    /// and redirects back with a code.
    mutating func authorize(query: [String: String]) -> EmulatorAnswer {
        guard query["response_type"] == "code" else {
            return .json(400, ["error": "unsupported_response_type", "error_description": "only response_type=code"])
        }
        guard let clientID = query["client_id"], let client = self.configuration.clients[clientID] else {
            return .json(400, ["error": "invalid_client", "error_description": "unknown client_id"])
        }
        guard let redirect = query["redirect_uri"], client.redirectPrefixes.contains(where: { redirect.hasPrefix($0) }) else {
            return .json(400, ["error": "invalid_request", "error_description": "redirect_uri not registered for this client"])
        }
        var challenge: String?
        if let value = query["code_challenge"] {
            guard query["code_challenge_method"] == "S256" else {
                return .json(400, ["error": "invalid_request", "error_description": "code_challenge_method must be S256"])
            }
            challenge = value
        } else if client.secret == nil {
            return .json(400, ["error": "invalid_request", "error_description": "a public client must send code_challenge"])
        }
        let code = EmulatorState.randomToken()
        self.codes[code] = Code(userID: self.configuration.loginUserID, clientID: clientID, redirectURI: redirect, challenge: challenge)
        var location = redirect + (redirect.contains("?") ? "&" : "?") + "code=" + code
        if let state = query["state"] { location += "&state=" + (state.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
        return EmulatorAnswer(status: 302, headers: ["Location": location])
    }

    /// `POST /oauth/token` for the client-credentials, authorization-code (with or without
    /// PKCE) and refresh-token grants.
    mutating func token(form body: String, contentType: String?, authorization: String?) -> EmulatorAnswer {
        guard contentType?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true,
            let form = EmulatorState.parseForm(body)
        else {
            return .json(400, ["error": "invalid_request", "error_description": "expected an application/x-www-form-urlencoded body"])
        }
        // Client authentication: HTTP Basic, or client_id (+ client_secret) in the form.
        var clientID = form["client_id"]
        var secret = form["client_secret"]
        if let authorization, authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            clientID = String(pair[..<colon])
            secret = String(pair[pair.index(after: colon)...])
        }
        guard let clientID, let client = self.configuration.clients[clientID] else {
            return .json(401, ["error": "invalid_client", "error_description": "unknown client"])
        }
        let authenticated = client.secret != nil && secret == client.secret
        if secret != nil && !authenticated {
            return .json(401, ["error": "invalid_client", "error_description": "wrong client secret"])
        }
        switch form["grant_type"] {
        case "client_credentials":
            guard authenticated else { return .json(401, ["error": "invalid_client", "error_description": "client credentials need the secret"]) }
            return .json(200, self.issueToken(userID: nil, clientID: clientID, withRefresh: false))
        case "authorization_code":
            guard let value = form["code"], let code = self.codes.removeValue(forKey: value), code.clientID == clientID else {
                return .json(400, ["error": "invalid_grant", "error_description": "unknown or used code"])
            }
            guard form["redirect_uri"] == code.redirectURI else {
                return .json(400, ["error": "invalid_grant", "error_description": "redirect_uri differs from the authorize request"])
            }
            if let challenge = code.challenge {
                guard let verifier = form["code_verifier"], Self.s256(verifier) == challenge else {
                    return .json(400, ["error": "invalid_grant", "error_description": "code_verifier does not match code_challenge"])
                }
            } else if !authenticated {
                return .json(401, ["error": "invalid_client", "error_description": "a code without PKCE needs the client secret"])
            }
            return .json(200, self.issueToken(userID: code.userID, clientID: clientID, withRefresh: true))
        case "refresh_token":
            guard let value = form["refresh_token"], let grant = self.refreshTokens[value], grant.clientID == clientID else {
                return .json(400, ["error": "invalid_grant", "error_description": "unknown or revoked refresh token"])
            }
            // Rotated, as a careful platform does: the old refresh token stops working.
            self.refreshTokens.removeValue(forKey: value)
            return .json(200, self.issueToken(userID: grant.userID, clientID: clientID, withRefresh: true))
        default:
            return .json(400, ["error": "unsupported_grant_type", "error_description": "grant_type \(form["grant_type"] ?? "-") is not supported"])
        }
    }

    static func s256(_ verifier: String) -> String {
        let digest = SHA256.hash(data: Data(verifier.utf8))
        return Data(digest).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The caller behind a bearer token, or the 401 to answer.
    func caller(_ authorization: String?) -> Result<(token: String, Token), EmulatorAnswer> {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            return .failure(.error(401, "bad.credentials", "Invalid login credentials."))
        }
        let value = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let token = self.tokens[value], !token.revoked, token.expiresAt > self.now else {
            return .failure(.error(401, "bad.credentials", "Invalid login credentials."))
        }
        return .success((value, token))
    }

    /// Counts a request against the per-user budget; the 429 to answer when it is spent.
    mutating func spendBudget(_ token: Token) -> EmulatorAnswer? {
        guard let limit = self.configuration.userRatePerMinute else { return nil }
        let key = (token.userID ?? "client") + "|" + token.clientID
        let minute = Int(self.now.timeIntervalSince1970 / 60)
        var window = self.rateWindows[key] ?? (minute, 0)
        if window.minute != minute { window = (minute, 0) }
        window.count += 1
        self.rateWindows[key] = window
        self.busiestUserMinute = max(self.busiestUserMinute, window.count)
        guard window.count > limit else { return nil }
        self.rateLimitedRequests += 1
        let retry = 60 - Int(self.now.timeIntervalSince1970) % 60
        return Self.rateLimited(retry)
    }

    static func rateLimited(_ seconds: Int) -> EmulatorAnswer {
        EmulatorAnswer.error(
            429, "too.many.requests.retry.after", "Rate limit exceeded the maximum. Retry the request in [\(seconds)] seconds"
        ).with(header: "Retry-After", "\(seconds)")
    }

    // MARK: - Conversations

    mutating func createConversation(agentUserID: String, customerAddress: String, state: String, muted: Bool) -> EmulatedConversation {
        let id = self.makeID("conv")
        let agentName = self.user(agentUserID)?.name ?? agentUserID
        let conversation = EmulatedConversation(
            id: id,
            participants: [
                EmulatedParticipant(
                    id: self.makeID("part"), purpose: "customer", userID: nil, name: "Customer", address: customerAddress,
                    state: state, direction: "inbound", muted: false, held: false, confined: false, callID: self.makeID("call")),
                EmulatedParticipant(
                    id: self.makeID("part"), purpose: "agent", userID: agentUserID, name: agentName, address: "sip:\(agentUserID)@emulator",
                    state: state, direction: "inbound", muted: muted, held: false, confined: false, callID: self.makeID("call")),
            ],
            startedAt: self.now)
        self.conversations[id] = conversation
        self.conversationOrder.append(id)
        self.publish(conversation)
        return conversation
    }

    /// Applies `muted` to a participant and publishes the event when it changed.
    mutating func applyMuted(conversationID: String, participantID: String, muted: Bool) {
        guard var conversation = self.conversations[conversationID],
            let index = conversation.participants.firstIndex(where: { $0.id == participantID }),
            conversation.participants[index].muted != muted
        else { return }
        conversation.participants[index].muted = muted
        self.conversations[conversationID] = conversation
        self.publish(conversation)
    }

    mutating func endConversation(_ id: String) -> EmulatedConversation? {
        guard var conversation = self.conversations[id] else { return nil }
        for index in conversation.participants.indices { conversation.participants[index].state = "disconnected" }
        self.conversations[id] = conversation
        self.publish(conversation)
        for index in conversation.participants.indices { conversation.participants[index].state = "terminated" }
        self.conversations[id] = conversation
        self.publish(conversation)
        return conversation
    }

    /// Active calls of a user, newest last.
    func activeConversations(of userID: String) -> [EmulatedConversation] {
        self.conversationOrder.compactMap { self.conversations[$0] }.filter { conversation in
            !conversation.isEnded && conversation.participants.contains { $0.userID == userID }
        }
    }

    /// Validates a participant PATCH; returns the status to answer and, for a 202, the
    /// change to apply later.
    func checkPatch(
        conversationID: String, participantID: String, body: String, caller: Token
    ) -> (answer: EmulatorAnswer, muted: Bool?) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] else {
            return (.error(400, "bad.request", "the body must be a MediaParticipantRequest JSON object"), nil)
        }
        let known: Set<String> = ["muted", "held", "confined", "state", "recording", "wrapupSkipped"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            return (.error(400, "bad.request", "unknown field \(unknown)"), nil)
        }
        struct Fields: Decodable { var muted: Bool?; var held: Bool?; var confined: Bool?; var state: String? }
        // JSONDecoder, unlike JSONSerialization, tells a boolean from the number 1.
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(body.utf8)) else {
            return (.error(400, "bad.request", "muted, held and confined must be booleans, state a string"), nil)
        }
        let muted = fields.muted
        guard let conversation = self.conversations[conversationID], !conversation.isEnded else {
            return (.error(404, "not.found", "conversation \(conversationID) not found"), nil)
        }
        guard let participant = conversation.participants.first(where: { $0.id == participantID }) else {
            return (.error(404, "not.found", "participant \(participantID) not found"), nil)
        }
        guard let userID = caller.userID else {
            if object["state"] != nil || !self.configuration.allowClientCredentialsMute {
                return (.error(400, "bad.request", "call control needs a user token, not client credentials"), nil)
            }
            return (EmulatorAnswer(status: 202), muted)
        }
        let permitted = participant.userID == userID
            || self.user(userID)?.permissions.contains(GenesysEmulatorConfiguration.disconnectPermission) == true
        guard permitted else {
            return (.error(403, "not.authorized", "you may only update your own participant", extra: [
                "messageParams": ["permission": GenesysEmulatorConfiguration.disconnectPermission],
            ]), nil)
        }
        return (EmulatorAnswer(status: 202), muted)
    }

    // MARK: - Channels

    mutating func createChannel(token: Token, host: String) -> [String: Any] {
        let limit = max(1, self.configuration.channelsPerClient)
        let mine = self.channels.values.filter { $0.userID == token.userID && $0.clientID == token.clientID }
        if mine.count >= limit {
            // The 21st evicts the oldest by last use, unconnected ones first.
            let victim = mine.sorted { a, b in
                if (a.connection == nil) != (b.connection == nil) { return a.connection == nil }
                return a.lastUsed < b.lastUsed
            }.first!
            self.removeChannel(victim.id, closeCode: 1001, reason: "channel evicted")
        }
        let id = "streaming-0-" + EmulatorState.randomToken().prefix(26)
        let expires = self.now.addingTimeInterval(Self.seconds(self.configuration.channelLifetime))
        self.channels[id] = Channel(id: id, userID: token.userID, clientID: token.clientID, expires: expires, lastUsed: self.now)
        return ["id": id, "connectUri": "ws://\(host)/channels/\(id)", "expires": GenesysClock.format(expires)]
    }

    mutating func removeChannel(_ id: String, closeCode: UInt16, reason: String) {
        guard let channel = self.channels.removeValue(forKey: id) else { return }
        if let connection = channel.connection, let socket = self.connections[connection] {
            socket.outbound.yield(.close(code: closeCode, reason: reason))
        }
    }

    /// Closes and forgets channels past `expires` (code 1001, as observed on the platform).
    mutating func sweepExpiredChannels() {
        let now = self.now
        for channel in self.channels.values where channel.expires <= now {
            self.log(channel.id, "close", "1001 channel expired")
            self.removeChannel(channel.id, closeCode: 1001, reason: "channel expired")
        }
    }

    func ownedChannel(_ id: String, by token: Token) -> Channel? {
        guard let channel = self.channels[id], channel.userID == token.userID, channel.clientID == token.clientID,
            channel.expires > self.now
        else { return nil }
        return channel
    }

    /// Checks topics for a subscription: only `v2.users.{me}.…` (and system topics) for a user token.
    func checkTopics(_ body: String, token: Token) -> Result<[String], EmulatorAnswer> {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]] else {
            return .failure(.error(400, "bad.request", "expected [{\"id\": \"topic\"}, …]"))
        }
        var topics: [String] = []
        for item in list {
            guard let id = item["id"] as? String, !id.isEmpty else {
                return .failure(.error(400, "bad.request", "each topic needs a string id"))
            }
            if id.hasPrefix("v2.users."), let userID = token.userID {
                let rest = id.dropFirst("v2.users.".count)
                let owner = rest.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
                if owner != userID {
                    return .failure(.error(403, "not.authorized", "topic \(id) belongs to another user"))
                }
            }
            topics.append(id)
        }
        if topics.count > 1000 { return .failure(.error(400, "bad.request", "more than 1000 topics")) }
        return .success(topics)
    }

    static func topicListing(_ topics: [String]) -> [String: Any] {
        ["entities": topics.map { ["id": $0, "state": "Permitted"] }]
    }

    // MARK: - Sockets

    /// Logs the socket as open when its upgrade is accepted, before the 101 response: from
    /// then on the client may count it open (and close an older socket), so the log's order
    /// is the order the client saw.
    mutating func upgradeAccepted(channelID: String) {
        guard let channel = self.channels[channelID], channel.expires > self.now else { return }
        self.log(channelID, "open", "upgrade accepted")
    }

    mutating func attach(channelID: String, outbound: AsyncStream<SocketOutbound>.Continuation) -> UInt64? {
        guard var channel = self.channels[channelID], channel.expires > self.now else { return nil }
        let id = self.nextConnection
        self.nextConnection += 1
        // The new socket was logged open at its upgrade, before the old one is told to close.
        if let old = channel.connection, let socket = self.connections.removeValue(forKey: old) {
            // Only one WebSocket per channel: the newer replaces the older.
            socket.outbound.yield(.close(code: 1000, reason: "replaced"))
            self.log(channelID, "close", "1000 replaced")
        }
        channel.connection = id
        channel.lastUsed = self.now
        channel.silenced = false
        self.channels[channelID] = channel
        self.connections[id] = Connection(channelID: channelID, outbound: outbound)
        return id
    }

    mutating func detach(_ connection: UInt64) {
        guard let socket = self.connections.removeValue(forKey: connection) else { return }
        if self.channels[socket.channelID]?.connection == connection {
            self.channels[socket.channelID]?.connection = nil
        }
        self.log(socket.channelID, "close", "connection \(connection) ended")
    }

    /// Sends a message on a connection unless its channel is silenced.
    mutating func send(_ text: String, on connection: UInt64, evenIfSilenced: Bool = false) {
        guard let socket = self.connections[connection], let channel = self.channels[socket.channelID] else { return }
        if channel.silenced && !evenIfSilenced { return }
        socket.outbound.yield(.text(text))
        self.log(socket.channelID, "out", text.count > 240 ? String(text.prefix(240)) + "…" : text)
    }

    mutating func log(_ channelID: String, _ kind: String, _ text: String) {
        self.socketLog.append(GenesysSocketLogEntry(at: self.now, channelID: channelID, kind: kind, text: text))
        if self.socketLog.count > 20_000 { self.socketLog.removeFirst(self.socketLog.count - 20_000) }
    }

    /// Sends a conversation's snapshot to every channel subscribed to one of its users' topics.
    mutating func publish(_ conversation: EmulatedConversation) {
        let users = Set(conversation.participants.compactMap(\.userID))
        for channel in self.channels.values {
            guard let connection = channel.connection else { continue }
            for user in users {
                let full = "v2.users.\(user).conversations"
                let calls = full + ".calls"
                if channel.topics.contains(full) {
                    self.send(Self.envelope(topic: full, body: conversation.conversationObject()), on: connection)
                }
                if channel.topics.contains(calls) {
                    self.send(Self.envelope(topic: calls, body: conversation.callConversationObject()), on: connection)
                }
            }
        }
    }

    static func envelope(topic: String, body: [String: Any]) -> String {
        let object: [String: Any] = [
            "topicName": topic, "version": "2", "eventBody": body,
            "metadata": ["CorrelationId": UUID().uuidString.lowercased()],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static let heartbeat = #"{"eventBody":{"message":"WebSocket Heartbeat"},"topicName":"channel.metadata"}"#
    static let pong = #"{"eventBody":{"message":"pong"},"topicName":"channel.metadata"}"#

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
extension EmulatorAnswer: Error {}
