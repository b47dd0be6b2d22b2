import DaemonTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `softphone-api-emulator --profile genesys` as its own process, with a connected call for
/// the agent, driven through its `/__emulator` control surface.
final class GenesysEmulatorProcess: @unchecked Sendable {
    static let userID = "agent-g7"

    let process: ExternalProcess
    let port: Int
    let applyDelayMs: Int
    private let session: URLSession

    init(applyDelayMs: Int = 50) async throws {
        self.applyDelayMs = applyDelayMs
        process = try ExternalProcess(DaemonProcess.product("softphone-api-emulator").path,
                                      ["--profile", "genesys", "--port", "0", "--user-id", Self.userID,
                                       "--apply-delay-ms", "\(applyDelayMs)", "--start-call"])
        var banner = ""
        var port: Int?
        _ = try await eventually(timeout: .seconds(15), poll: .milliseconds(20)) { [process] in
            banner = String(decoding: process.standardOutputSoFar(), as: UTF8.self)
            if let range = banner.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               banner.contains("control:") {
                port = Int(banner[range].split(separator: ":").last ?? "")
            }
            return port != nil || !process.isRunning
        }
        guard let port else {
            process.terminate()
            throw DaemonProcessError("softphone-api-emulator --profile genesys did not start: \(banner)")
        }
        self.port = port
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        session = URLSession(configuration: configuration)
    }

    /// The daemon's `api:` section: grant `user-token` through `tokenFile`.
    func apiYAML(tokenFile: String, pollMilliseconds: Int = 500) -> String {
        """
        api:
          profile: genesys
          base-url: "http://127.0.0.1:\(port)/api/v2"
          login-url: "http://127.0.0.1:\(port)"
          grant: user-token
          token-file: "\(tokenFile)"
          poll-interval-ms: \(pollMilliseconds)
        """
    }

    /// A user token for the agent, written to a new 0600 file.
    func writeToken(to path: String) async throws -> String {
        let issued = try await control("POST", "tokens", ["userId": Self.userID]).json as? [String: Any]
        guard let token = issued?["access_token"] as? String else { throw DaemonProcessError("no token from the emulator") }
        FileManager.default.createFile(atPath: path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        return token
    }

    @discardableResult
    func control(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> (status: Int, json: Any?) {
        try await loopbackRequest(session: session, method, "http://127.0.0.1:\(port)/__emulator/\(path)", body)
    }

    /// The emulator's call: its id and the agent's participant.
    func call() async throws -> (id: String, participantID: String, muted: Bool)? {
        let list = (try await control("GET", "conversations").json as? [String: Any])?["entities"] as? [[String: Any]] ?? []
        guard let call = list.first, let id = call["id"] as? String, let participant = call["agentParticipantId"] as? String else { return nil }
        let agent = (call["participants"] as? [[String: Any]])?.first { $0["id"] as? String == participant }
        return (id, participant, agent?["muted"] as? Bool ?? false)
    }

    func waitForPlatform(muted: Bool, timeout: Double = 5) async throws -> Bool {
        try await eventually(timeout: .seconds(timeout), poll: .milliseconds(2)) { try await call()?.muted == muted }
    }

    func supervisor(muted: Bool) async throws {
        guard let call = try await call() else { throw DaemonProcessError("no call on the emulator") }
        let status = try await control("POST", "conversations/\(call.id)/supervisor-mute", ["muted": muted]).status
        guard status == 202 else { throw DaemonProcessError("supervisor-mute answered \(status)") }
    }

    func requests() async throws -> [[String: Any]] { try await control("GET", "requests").json as? [[String: Any]] ?? [] }

    func patches() async throws -> [[String: Any]] { try await requests().filter { $0["method"] as? String == "PATCH" } }

    func stop() {
        session.invalidateAndCancel()
        process.terminate()
        if !process.waitForExit(timeout: 10) {
            process.kill()
            _ = process.waitForExit(timeout: 5)
        }
    }

    deinit { stop() }
}

/// One JSON request on loopback, waited for (at most 10 s). - Returns: the status and the decoded body.
func loopbackRequest(session: URLSession, _ method: String, _ url: String, _ body: [String: Any]?) async throws -> (status: Int, json: Any?) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = 10
    if let body {
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let data: Data, response: URLResponse
    do {
        (data, response) = try await session.data(for: request)
    } catch {
        throw DaemonProcessError("\(method) \(url): \(error)")
    }
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONSerialization.jsonObject(with: data))
}
