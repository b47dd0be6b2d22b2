import DaemonTestSupport
import Foundation

/// What the suites do with `softphone-api-emulator`, in either profile: `sessions` (the
/// platform's REST contract, driven through `/admin`) and `genesys` (with a connected call for
/// the agent, driven through `/__emulator`).
extension APIEmulatorProcess {
    static let clientID = "softphone"
    static let secret = "emulator-secret-\(UUID().uuidString.prefix(8))"
    /// The agent of the `sessions` profile.
    static let userID = "agent-7"
    /// The agent of the `genesys` profile.
    static let genesysUserID = "agent-g7"

    /// The `sessions` profile, with a session for `userID` and a client secret.
    static func sessions() async throws -> APIEmulatorProcess {
        try await APIEmulatorProcess(arguments: ["--client-id", clientID, "--user-id", userID],
                                     environment: ["SOFTPHONE_EMULATOR_CLIENT_SECRET": secret])
    }

    /// The `genesys` profile, with a call for `genesysUserID`.
    static func genesys(applyDelayMs: Int = 50) async throws -> APIEmulatorProcess {
        try await APIEmulatorProcess(arguments: ["--profile", "genesys", "--user-id", genesysUserID,
                                                 "--apply-delay-ms", "\(applyDelayMs)", "--start-call"])
    }

    var isGenesys: Bool { arguments.contains("genesys") }

    /// How long the `genesys` profile takes to apply a change.
    var applyDelayMs: Int {
        arguments.firstIndex(of: "--apply-delay-ms").flatMap { Int(arguments[$0 + 1]) } ?? 0
    }

    var baseURL: String { "\(url)/api/v2" }
    var tokenURL: String { "\(url)/oauth/token" }

    /// The daemon's `api:` section for the `sessions` profile.
    func apiYAML(pollMilliseconds: Int = 200) -> String {
        """
        api:
          profile: sessions
          base-url: "\(baseURL)"
          token-url: "\(tokenURL)"
          client-id: \(Self.clientID)
          user-id: \(Self.userID)
          poll-interval-ms: \(pollMilliseconds)
        """
    }

    /// The daemon's `api:` section for the `genesys` profile: grant `user-token` through `tokenFile`.
    func apiYAML(tokenFile: String, pollMilliseconds: Int = 500) -> String {
        """
        api:
          profile: genesys
          base-url: "\(baseURL)"
          login-url: "\(url)"
          grant: user-token
          token-file: "\(tokenFile)"
          poll-interval-ms: \(pollMilliseconds)
        """
    }

    /// A request to the control surface: `/admin/…` (sessions) or `/__emulator/…` (genesys).
    @discardableResult
    func control(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> (status: Int, json: Any?) {
        try await request(method, (isGenesys ? "/__emulator/" : "/admin/") + path, body)
    }

    /// The genesys call: its id and the agent's participant.
    func call() async throws -> (id: String, participantID: String, muted: Bool)? {
        let list = (try await control("GET", "conversations").json as? [String: Any])?["entities"] as? [[String: Any]] ?? []
        guard let call = list.first, let id = call["id"] as? String, let participant = call["agentParticipantId"] as? String else { return nil }
        let agent = (call["participants"] as? [[String: Any]])?.first { $0["id"] as? String == participant }
        return (id, participant, agent?["muted"] as? Bool ?? false)
    }

    /// Whether the platform has the agent muted (the session, or the agent in the call).
    func platformMuted() async throws -> Bool? {
        if isGenesys { return try await call()?.muted }
        let sessions = (try await control("GET", "sessions").json as? [String: Any])?["sessions"] as? [[String: Any]] ?? []
        return sessions.first { $0["id"] as? String == sessionID }?["muted"] as? Bool
    }

    /// Polls until the platform's state is `muted`. - Returns: whether it got there in time.
    func waitForPlatform(muted: Bool, timeout: Double = 5) async throws -> Bool {
        try await eventually(timeout: .seconds(timeout), poll: .milliseconds(2)) { try await platformMuted() == muted }
    }

    /// A supervisor mutes or unmutes the agent.
    func supervisor(muted: Bool) async throws {
        if isGenesys {
            guard let call = try await call() else { throw DaemonProcessError("no call on the emulator") }
            let status = try await control("POST", "conversations/\(call.id)/supervisor-mute", ["muted": muted]).status
            guard status == 202 else { throw DaemonProcessError("supervisor-mute answered \(status)") }
        } else {
            let status = try await control("POST", "sessions/\(sessionID ?? "")/\(muted ? "mute" : "unmute")").status
            guard status == 200 else { throw DaemonProcessError("supervisor \(muted ? "mute" : "unmute") answered \(status)") }
        }
    }

    /// Makes the `sessions` API hang (or answer again).
    func setHanging(_ enabled: Bool) async throws { try await control("POST", "hang", ["enabled": enabled]) }

    /// A user token for the genesys agent, written to a new 0600 file.
    func writeToken(to path: String) async throws -> String {
        let issued = try await control("POST", "tokens", ["userId": Self.genesysUserID]).json as? [String: Any]
        guard let token = issued?["access_token"] as? String else { throw DaemonProcessError("no token from the emulator") }
        FileManager.default.createFile(atPath: path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        return token
    }

    /// The request log: method, path, status, body.
    func requests() async throws -> [[String: Any]] { try await control("GET", "requests").json as? [[String: Any]] ?? [] }

    func patches() async throws -> [[String: Any]] { try await requests().filter { $0["method"] as? String == "PATCH" } }
}

/// A value shared with a callback thread.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    func set(_ value: Value) { lock.withLock { stored = value } }
    var value: Value { lock.withLock { stored } }
}
