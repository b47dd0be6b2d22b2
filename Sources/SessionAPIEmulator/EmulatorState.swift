import Foundation

/// An answer the emulator gives: status, headers, JSON body.
struct EmulatorAnswer: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: String = ""

    static func json(_ status: Int, _ object: Any) -> EmulatorAnswer {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return EmulatorAnswer(status: status, headers: ["Content-Type": "application/json"], body: String(decoding: data, as: UTF8.self))
    }

    static func error(_ status: Int, _ code: String, _ message: String, extra: [String: Any] = [:]) -> EmulatorAnswer {
        var object: [String: Any] = ["code": code, "message": message, "status": status]
        for (key, value) in extra { object[key] = value }
        return .json(status, object)
    }
}

/// The emulated platform's state and the rules of the contract, free of HTTP plumbing.
struct EmulatorState: Sendable {
    struct IssuedToken: Sendable {
        var clientID: String
        var scopes: Set<String>
        var expiresAt: Date
    }

    struct FaultQueue: Sendable {
        var faults: [InjectedFault]
        var pathContains: String?
    }

    var configuration: SessionAPIEmulatorConfiguration
    var tokens: [String: IssuedToken] = [:]
    var sessions: [String: EmulatedSession] = [:]
    var sessionOrder: [String] = []
    var faultQueues: [FaultQueue] = []
    var hangPathContains: String?? = .none
    var log: [LoggedRequest] = []
    var nextSessionNumber = 1

    init(configuration: SessionAPIEmulatorConfiguration) {
        self.configuration = configuration
    }

    // MARK: - Admin operations

    mutating func createSession(userID: String, muted: Bool, id: String?) -> EmulatedSession {
        let sessionID = id ?? String(format: "session-%04d-%08x", self.nextSessionNumber, UInt32.random(in: 0...UInt32.max))
        self.nextSessionNumber += 1
        let session = EmulatedSession(id: sessionID, userId: userID, muted: muted)
        if self.sessions[sessionID] == nil { self.sessionOrder.append(sessionID) }
        self.sessions[sessionID] = session
        return session
    }

    mutating func supervisorSetMuted(sessionID: String, muted: Bool) -> EmulatedSession? {
        guard var session = self.sessions[sessionID], session.isActive else { return nil }
        if session.muted != muted {
            session.muted = muted
            session.version += 1
        }
        session.mutedBy = "supervisor"
        self.sessions[sessionID] = session
        return session
    }

    mutating func endSession(sessionID: String) -> EmulatedSession? {
        guard var session = self.sessions[sessionID] else { return nil }
        session.status = "ended"
        session.version += 1
        self.sessions[sessionID] = session
        return session
    }

    var orderedSessions: [EmulatedSession] {
        self.sessionOrder.compactMap { self.sessions[$0] }
    }

    /// Takes the next injected fault that applies to `path`, if any.
    mutating func takeFault(path: String) -> InjectedFault? {
        for index in self.faultQueues.indices {
            let queue = self.faultQueues[index]
            if let filter = queue.pathContains, !path.contains(filter) { continue }
            guard !queue.faults.isEmpty else { continue }
            let fault = self.faultQueues[index].faults.removeFirst()
            self.faultQueues.removeAll { $0.faults.isEmpty }
            return fault
        }
        return nil
    }

    func shouldHang(path: String) -> Bool {
        switch self.hangPathContains {
        case .none: false
        case .some(.none): true
        case .some(.some(let filter)): path.contains(filter)
        }
    }

    // MARK: - The contract

    mutating func token(form body: String, contentType: String?) -> EmulatorAnswer {
        guard let contentType, contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            return .json(400, ["error": "invalid_request", "error_description": "expected application/x-www-form-urlencoded"])
        }
        guard let form = Self.parseForm(body) else {
            return .json(400, ["error": "invalid_request", "error_description": "malformed form body"])
        }
        guard form["grant_type"] == "client_credentials" else {
            return .json(400, ["error": "unsupported_grant_type", "error_description": "only client_credentials is supported"])
        }
        guard let clientID = form["client_id"], let secret = form["client_secret"],
            let client = self.configuration.clients[clientID], client.secret == secret
        else {
            return .json(401, ["error": "invalid_client", "error_description": "unknown client or wrong secret"])
        }
        let requested: Set<String>
        if let scope = form["scope"], !scope.trimmingCharacters(in: .whitespaces).isEmpty {
            requested = Set(scope.split(separator: " ").map(String.init))
        } else {
            requested = client.grantedScopes
        }
        let missing = requested.subtracting(client.grantedScopes).sorted()
        if let first = missing.first {
            return .json(400, [
                "error": "invalid_scope",
                "error_description": "scope \(missing.joined(separator: " ")) is not granted to client \(clientID)",
                "missingScope": first,
            ])
        }
        let token = Self.randomToken()
        let lifetime = self.configuration.tokenLifetime
        self.tokens[token] = IssuedToken(
            clientID: clientID, scopes: requested, expiresAt: Date().addingTimeInterval(TimeInterval(lifetime))
        )
        return .json(200, [
            "access_token": token, "token_type": "bearer", "expires_in": lifetime,
            "scope": requested.sorted().joined(separator: " "),
        ])
    }

    /// Checks the bearer token and scope; returns the refusal, or nil when allowed.
    func authorize(_ authorization: String?, scope: String) -> EmulatorAnswer? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            return .error(401, "bad.credentials", "missing bearer token")
                .with(header: "WWW-Authenticate", "Bearer")
        }
        let value = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let token = self.tokens[value] else {
            return .error(401, "bad.credentials", "unknown token").with(header: "WWW-Authenticate", "Bearer error=\"invalid_token\"")
        }
        guard token.expiresAt > Date() else {
            return .error(401, "bad.credentials", "token expired").with(header: "WWW-Authenticate", "Bearer error=\"invalid_token\"")
        }
        guard token.scopes.contains(scope) else {
            return .error(403, "missing.scope", "missing scope \(scope)", extra: ["missingScope": scope])
        }
        return nil
    }

    mutating func query(body: String) -> EmulatorAnswer {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any],
            let query = object["query"] as? [String: Any],
            (query["type"] as? String) == "and",
            let clauses = query["clauses"] as? [[String: Any]]
        else {
            return .error(400, "bad.request", "expected {\"pageSize\":N,\"query\":{\"type\":\"and\",\"clauses\":[...]}}")
        }
        let pageSize: Int
        if let size = object["pageSize"] {
            guard let number = size as? Int, number >= 1, number <= 100 else {
                return .error(400, "bad.request", "pageSize must be an integer from 1 to 100")
            }
            pageSize = number
        } else {
            pageSize = 25
        }
        var filters: [String: Set<String>] = [:]
        for clause in clauses {
            guard (clause["type"] as? String) == "eq", let field = clause["field"] as? String,
                ["userId", "type", "status"].contains(field),
                let values = clause["values"] as? [String], !values.isEmpty
            else {
                return .error(400, "bad.request", "each clause must be {\"type\":\"eq\",\"field\":userId|type|status,\"values\":[...]}")
            }
            filters[field, default: Set(values)].formIntersection(values)
        }
        func matches(_ session: EmulatedSession) -> Bool {
            (filters["userId"].map { $0.contains(session.userId) } ?? true)
                && (filters["type"].map { $0.contains(session.type) } ?? true)
                && (filters["status"].map { $0.contains(session.status) } ?? true)
        }
        var found = self.orderedSessions.filter(matches)
        if found.isEmpty, self.configuration.autoCreateSessions, let users = filters["userId"], users.count == 1,
            let user = users.first, self.configuration.users.isEmpty || self.configuration.users.contains(user),
            filters["type"]?.contains("voice") ?? true, filters["status"]?.contains("active") ?? true
        {
            found = [self.createSession(userID: user, muted: false, id: nil)]
        }
        let page = found.prefix(pageSize).map(Self.sessionObject)
        return .json(200, ["entities": page, "pageSize": pageSize, "total": found.count])
    }

    func getSession(id: String) -> EmulatorAnswer {
        guard let session = self.sessions[id], session.isActive else {
            return .error(404, "not.found", "session \(id) not found")
        }
        return .json(200, Self.sessionObject(session))
    }

    mutating func patchSession(id: String, body: String) -> EmulatorAnswer {
        guard let session = self.sessions[id], session.isActive else {
            return .error(404, "not.found", "session \(id) not found")
        }
        struct Patch: Decodable { var muted: Bool }
        let data = Data(body.utf8)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], object.count == 1,
            object["muted"] != nil, let patch = try? JSONDecoder().decode(Patch.self, from: data)
        else {
            return .error(400, "bad.request", "the body must be exactly {\"muted\": true|false}")
        }
        var updated = session
        if updated.muted != patch.muted {
            updated.muted = patch.muted
            updated.version += 1
        }
        updated.mutedBy = "agent"
        self.sessions[id] = updated
        switch self.configuration.patchResponse {
        case .noContent: return EmulatorAnswer(status: 204)
        case .session: return .json(200, Self.sessionObject(updated))
        }
    }

    // MARK: - Helpers

    static func sessionObject(_ session: EmulatedSession) -> [String: Any] {
        var object: [String: Any] = [
            "id": session.id, "userId": session.userId, "type": session.type, "status": session.status,
            "muted": session.muted, "version": session.version,
        ]
        if let mutedBy = session.mutedBy { object["mutedBy"] = mutedBy }
        return object
    }

    static func parseForm(_ body: String) -> [String: String]? {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2,
                let name = parts[0].replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                let value = parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            else { return nil }
            fields[name] = value
        }
        return fields
    }

    /// The body as it goes into the request log: a form's `client_secret` redacted.
    static func redactedBody(_ body: String, contentType: String?) -> String {
        guard contentType?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return body }
        return body.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let decoded = name.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? name
            return decoded == "client_secret" ? "\(name)=<redacted>" : String(pair)
        }.joined(separator: "&")
    }

    static func redactedAuthorization(_ value: String?) -> String? {
        guard let value else { return nil }
        let scheme = value.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        return scheme.isEmpty ? "<redacted>" : "\(scheme) <redacted>"
    }

    static func randomToken() -> String {
        (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
    }
}

extension EmulatorAnswer {
    func with(header name: String, _ value: String) -> EmulatorAnswer {
        var copy = self
        copy.headers[name] = value
        return copy
    }
}
