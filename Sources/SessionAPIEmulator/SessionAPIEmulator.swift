import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The project's own emulator of the platform's `sessions` REST contract (SPEC §5), with
/// fault injection, for tests and the demo.
///
/// It serves real HTTP: `POST {tokenPath}` (client-credentials grant),
/// `POST {basePath}/flexiblesearch/queries/sessions/details/query`,
/// `GET`/`PATCH {basePath}/interactive/sessions/{id}`. An admin surface under `/admin/…`
/// (no authentication, loopback callers only) mirrors the Swift admin methods:
///
/// | request | effect |
/// |---|---|
/// | `GET /admin/sessions` | list sessions |
/// | `POST /admin/sessions` `{"userId", "muted"?, "id"?}` | start a session |
/// | `POST /admin/sessions/{id}/mute`, `/unmute` | supervisor mute/unmute |
/// | `POST /admin/sessions/{id}/end` | end a session |
/// | `POST /admin/tokens/expire` | expire every issued token |
/// | `POST /admin/faults` `{"faults":[{"status","headers"?,"body"?}], "path"?}` | answer the next requests with these |
/// | `POST /admin/hang` `{"enabled", "path"?}` | hold requests unanswered (for timeouts) |
/// | `GET /admin/requests`, `DELETE /admin/requests` | read or clear the request log |
/// | `POST /admin/reset` | forget sessions, tokens, faults and the log |
public final class SessionAPIEmulator: Sendable {
    private let state: Mutex<EmulatorState>
    private let server = Mutex<Task<Void, Never>?>(nil)
    private let serverGroup = Mutex<ServiceGroup?>(nil)
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: clients, users, token lifetime, paths.
    ///   - logger: server logging; requests are logged without credentials.
    public init(configuration: SessionAPIEmulatorConfiguration, logger: Logger = Logger(label: "softphone.api-emulator")) {
        self.state = Mutex(EmulatorState(configuration: configuration))
        self.logger = logger
    }

    deinit {
        self.server.withLock { $0?.cancel() }
    }

    // MARK: - Lifecycle

    /// Starts serving and returns once the socket is bound.
    ///
    /// - Parameters:
    ///   - host: address to bind; keep the default loopback unless you know why.
    ///   - port: port to bind; 0 picks a free one.
    /// - Returns: the bound port.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let claimed = self.server.withLock { task -> Bool in
            guard task == nil else { return false }
            task = Task {}  // placeholder: claims the slot until the server task replaces it
            return true
        }
        guard claimed else { throw SessionAPIEmulatorError.alreadyRunning() }
        let responder = CallbackResponder<EmulatorRequestContext> { [weak self] request, context in
            guard let self else { return Response(status: .serviceUnavailable) }
            return try await self.respond(to: request, context: context)
        }
        let serverLogger = EmulatorServer.quieter(self.logger)
        do {
            let server = try await EmulatorServer.start(logger: serverLogger) { onRunning in
                Application(
                    responder: responder,
                    configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "softphone-api-emulator"),
                    onServerRunning: onRunning,
                    logger: serverLogger
                )
            }
            self.serverGroup.withLock { $0 = server.group }
            self.server.withLock { $0 = server.task }
            return server.port
        } catch {
            self.server.withLock { $0 = nil }
            throw error
        }
    }

    /// Stops serving (requests held by ``setHanging(_:pathContains:)`` are released) and
    /// waits until the socket is closed. State survives, so ``start(host:port:)`` may follow.
    public func stop() async {
        self.state.withLock { $0.hangPathContains = .none }
        let task = self.server.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        guard let task else { return }
        // Graceful first, so open connections close cleanly; cancel if that stalls.
        if let group = self.serverGroup.withLock({ $0.take() }) {
            await group.triggerGracefulShutdown()
        } else {
            task.cancel()
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(2))
            task.cancel()
        }
        await task.value
        watchdog.cancel()
    }

    // MARK: - Admin (Swift)

    /// Starts an active voice session for `userID`.
    @discardableResult
    public func createSession(userID: String, muted: Bool = false, id: String? = nil) -> EmulatedSession {
        self.state.withLock { $0.createSession(userID: userID, muted: muted, id: id) }
    }

    /// Mutes or unmutes a session as another party (a supervisor) would.
    @discardableResult
    public func supervisorSetMuted(sessionID: String, muted: Bool) throws -> EmulatedSession {
        guard let session = self.state.withLock({ $0.supervisorSetMuted(sessionID: sessionID, muted: muted) }) else {
            throw SessionAPIEmulatorError.unknownSession(sessionID)
        }
        return session
    }

    /// Ends a session; further requests for it get 404.
    @discardableResult
    public func endSession(id: String) throws -> EmulatedSession {
        guard let session = self.state.withLock({ $0.endSession(sessionID: id) }) else {
            throw SessionAPIEmulatorError.unknownSession(id)
        }
        return session
    }

    /// A session by id, active or ended.
    public func session(id: String) -> EmulatedSession? {
        self.state.withLock { $0.sessions[id] }
    }

    /// All sessions in creation order.
    public func sessions() -> [EmulatedSession] {
        self.state.withLock { $0.orderedSessions }
    }

    /// Makes every issued token invalid (requests with them get 401).
    public func expireAllTokens() {
        self.state.withLock { $0.tokens.removeAll() }
    }

    /// The tokens issued and not yet expired by ``expireAllTokens()``, so tests can check
    /// that a client never leaks them.
    public func issuedTokens() -> [String] {
        self.state.withLock { Array($0.tokens.keys) }
    }

    /// Answers the next matching requests with `faults`, one each, in order.
    /// - Parameter pathContains: only requests whose path contains this; `nil` for all
    ///   requests except the admin surface.
    public func injectFaults(_ faults: [InjectedFault], pathContains: String? = nil) {
        guard !faults.isEmpty else { return }
        self.state.withLock { $0.faultQueues.append(.init(faults: faults, pathContains: pathContains)) }
    }

    /// Holds matching requests unanswered while `enabled`; when released they are
    /// answered 503 without effect (the client has usually given up by then).
    public func setHanging(_ enabled: Bool, pathContains: String? = nil) {
        self.state.withLock { $0.hangPathContains = enabled ? .some(pathContains) : .none }
    }

    /// The requests served so far (admin requests excluded), credentials redacted.
    public func requestLog() -> [LoggedRequest] {
        self.state.withLock { $0.log }
    }

    /// Empties the request log.
    public func clearRequestLog() {
        self.state.withLock { $0.log.removeAll() }
    }

    /// Forgets sessions, tokens, faults, hangs and the log.
    public func reset() {
        self.state.withLock { state in
            state = EmulatorState(configuration: state.configuration)
        }
    }

    // MARK: - HTTP

    private func respond(to request: Request, context: EmulatorRequestContext) async throws -> Response {
        let incoming = try await IncomingRequest(request)
        let (path, method, arrived, body) = (incoming.path, incoming.method, incoming.arrived, incoming.body)
        let (authorization, contentType) = (incoming.authorization, incoming.contentType)

        if path == "/admin" || path.hasPrefix("/admin/") {
            guard context.isLoopback else {
                return EmulatorAnswer.error(403, "forbidden", "the admin surface serves loopback callers only").response
            }
            return self.admin(method: method, path: path, body: body).response
        }

        var answer: EmulatorAnswer
        if self.state.withLock({ $0.shouldHang(path: path) }) {
            while self.state.withLock({ $0.shouldHang(path: path) }) && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
            }
            answer = .error(503, "dropped", "the request was held and dropped")
        } else {
            answer = self.state.withLock { state in
                if let fault = state.takeFault(path: path) {
                    var answer = EmulatorAnswer(status: fault.status, headers: fault.headers, body: fault.body ?? "")
                    if fault.body != nil && answer.headers["Content-Type"] == nil {
                        answer.headers["Content-Type"] = "application/json"
                    }
                    return answer
                }
                return Self.serve(&state, method: method, path: path, body: body, authorization: authorization, contentType: contentType)
            }
        }
        let entry = LoggedRequest(
            method: method, path: path, status: answer.status,
            body: EmulatorState.redactedBody(body, contentType: contentType),
            authorization: EmulatorState.redactedAuthorization(authorization),
            contentType: contentType, at: arrived, answeredAt: Date()
        )
        self.state.withLock { $0.log.append(entry) }
        self.logger.debug("request", metadata: ["method": "\(method)", "path": "\(path)", "status": "\(answer.status)"])
        return answer.response
    }

    private static func serve(
        _ state: inout EmulatorState, method: String, path: String, body: String, authorization: String?, contentType: String?
    ) -> EmulatorAnswer {
        let configuration = state.configuration
        if path == configuration.tokenPath {
            guard method == "POST" else { return .error(405, "method.not.allowed", "use POST") }
            return state.token(form: body, contentType: contentType)
        }
        guard path.hasPrefix(configuration.basePath + "/") else {
            return .error(404, "not.found", "no such resource \(path)")
        }
        let resource = String(path.dropFirst(configuration.basePath.count))
        if resource == "/flexiblesearch/queries/sessions/details/query" {
            guard method == "POST" else { return .error(405, "method.not.allowed", "use POST") }
            if let refusal = state.authorize(authorization, scope: "session:read") { return refusal }
            return state.query(body: body)
        }
        let prefix = "/interactive/sessions/"
        if resource.hasPrefix(prefix) {
            let rawID = String(resource.dropFirst(prefix.count))
            let id = rawID.removingPercentEncoding ?? rawID
            guard !id.isEmpty, !id.contains("/") else { return .error(404, "not.found", "no such resource \(path)") }
            switch method {
            case "GET":
                if let refusal = state.authorize(authorization, scope: "session:read") { return refusal }
                return state.getSession(id: id)
            case "PATCH":
                if let refusal = state.authorize(authorization, scope: "session:write") { return refusal }
                return state.patchSession(id: id, body: body)
            default:
                return .error(405, "method.not.allowed", "use GET or PATCH")
            }
        }
        return .error(404, "not.found", "no such resource \(path)")
    }

    private func admin(method: String, path: String, body: String) -> EmulatorAnswer {
        let parts = path.split(separator: "/").map(String.init)  // ["admin", ...]
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        switch (method, Array(parts.dropFirst())) {
        case ("GET", ["sessions"]):
            return .json(200, ["sessions": self.sessions().map(EmulatorState.sessionObject)])
        case ("POST", ["sessions"]):
            guard let user = object["userId"] as? String, !user.isEmpty else {
                return .error(400, "bad.request", "expected {\"userId\": \"…\", \"muted\"?: bool, \"id\"?: \"…\"}")
            }
            let session = self.createSession(userID: user, muted: object["muted"] as? Bool ?? false, id: object["id"] as? String)
            return .json(201, EmulatorState.sessionObject(session))
        case ("POST", let rest) where rest.count == 3 && rest[0] == "sessions":
            do {
                let session: EmulatedSession
                switch rest[2] {
                case "mute": session = try self.supervisorSetMuted(sessionID: rest[1], muted: true)
                case "unmute": session = try self.supervisorSetMuted(sessionID: rest[1], muted: false)
                case "end": session = try self.endSession(id: rest[1])
                default: return .error(404, "not.found", "no admin action \(rest[2])")
                }
                return .json(200, EmulatorState.sessionObject(session))
            } catch {
                return .error(404, "not.found", "\(error)")
            }
        case ("POST", ["tokens", "expire"]):
            let count = self.state.withLock { state -> Int in
                defer { state.tokens.removeAll() }
                return state.tokens.count
            }
            return .json(200, ["expired": count])
        case ("POST", ["faults"]):
            guard let list = object["faults"] as? [[String: Any]], !list.isEmpty else {
                return .error(400, "bad.request", "expected {\"faults\": [{\"status\": N, \"headers\"?: {…}, \"body\"?: \"…\"}], \"path\"?: \"…\"}")
            }
            var faults: [InjectedFault] = []
            for item in list {
                guard let status = item["status"] as? Int, (100...599).contains(status) else {
                    return .error(400, "bad.request", "each fault needs a status from 100 to 599")
                }
                faults.append(InjectedFault(status: status, headers: item["headers"] as? [String: String] ?? [:], body: item["body"] as? String))
            }
            self.injectFaults(faults, pathContains: object["path"] as? String)
            return .json(200, ["queued": faults.count])
        case ("POST", ["hang"]):
            guard let enabled = object["enabled"] as? Bool else {
                return .error(400, "bad.request", "expected {\"enabled\": bool, \"path\"?: \"…\"}")
            }
            self.setHanging(enabled, pathContains: object["path"] as? String)
            return .json(200, ["hanging": enabled])
        case ("GET", ["requests"]):
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys]
            let data = (try? encoder.encode(self.requestLog())) ?? Data("[]".utf8)
            return EmulatorAnswer(status: 200, headers: ["Content-Type": "application/json"], body: String(decoding: data, as: UTF8.self))
        case ("DELETE", ["requests"]):
            self.clearRequestLog()
            return EmulatorAnswer(status: 204)
        case ("POST", ["reset"]):
            self.reset()
            return EmulatorAnswer(status: 204)
        default:
            return .error(404, "not.found", "no admin endpoint \(method) \(path)")
        }
    }
}
