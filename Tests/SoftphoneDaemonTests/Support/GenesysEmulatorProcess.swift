import DaemonTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `softphone-api-emulator --profile genesys` as its own process, with a connected call for
/// the agent, driven through its `/__emulator` control surface.
final class GenesysEmulatorProcess: @unchecked Sendable {
    static let userID = "agent-g7"

    let process = Process()
    let port: Int
    let applyDelayMs: Int
    private let session: URLSession

    init(applyDelayMs: Int = 50) throws {
        self.applyDelayMs = applyDelayMs
        process.executableURL = DaemonProcess.product("softphone-api-emulator")
        process.arguments = ["--profile", "genesys", "--port", "0", "--user-id", Self.userID,
                             "--apply-delay-ms", "\(applyDelayMs)", "--start-call"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var banner = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(15)
        while port == nil && Date() < deadline && process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
            if let range = banner.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               banner.contains("control:") {
                port = Int(banner[range].split(separator: ":").last ?? "")
            }
        }
        guard let port else {
            if process.isRunning { process.terminate() }
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
    func writeToken(to path: String) throws -> String {
        let issued = try control("POST", "tokens", ["userId": Self.userID]).json as? [String: Any]
        guard let token = issued?["access_token"] as? String else { throw DaemonProcessError("no token from the emulator") }
        FileManager.default.createFile(atPath: path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        return token
    }

    @discardableResult
    func control(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> (status: Int, json: Any?) {
        try loopbackRequest(session: session, method, "http://127.0.0.1:\(port)/__emulator/\(path)", body)
    }

    /// The emulator's call: its id and the agent's participant.
    func call() throws -> (id: String, participantID: String, muted: Bool)? {
        let list = (try control("GET", "conversations").json as? [String: Any])?["entities"] as? [[String: Any]] ?? []
        guard let call = list.first, let id = call["id"] as? String, let participant = call["agentParticipantId"] as? String else { return nil }
        let agent = (call["participants"] as? [[String: Any]])?.first { $0["id"] as? String == participant }
        return (id, participant, agent?["muted"] as? Bool ?? false)
    }

    func waitForPlatform(muted: Bool, timeout: Double = 5) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try call()?.muted == muted { return true }
            Thread.sleep(forTimeInterval: 0.002)
        } while Date() < deadline
        return false
    }

    func supervisor(muted: Bool) throws {
        guard let call = try call() else { throw DaemonProcessError("no call on the emulator") }
        let status = try control("POST", "conversations/\(call.id)/supervisor-mute", ["muted": muted]).status
        guard status == 202 else { throw DaemonProcessError("supervisor-mute answered \(status)") }
    }

    func requests() throws -> [[String: Any]] { try control("GET", "requests").json as? [[String: Any]] ?? [] }

    func patches() throws -> [[String: Any]] { try requests().filter { $0["method"] as? String == "PATCH" } }

    func stop() {
        session.invalidateAndCancel()
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// One JSON request on loopback, waited for. - Returns: the status and the decoded body.
func loopbackRequest(session: URLSession, _ method: String, _ url: String, _ body: [String: Any]?) throws -> (status: Int, json: Any?) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    if let body {
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let done = DispatchSemaphore(value: 0)
    let result = LockedBox<(Int, Data?, (any Error)?)>((0, nil, nil))
    session.dataTask(with: request) { data, response, error in
        result.set(((response as? HTTPURLResponse)?.statusCode ?? 0, data, error))
        done.signal()
    }.resume()
    guard done.wait(timeout: .now() + 10) == .success else { throw DaemonProcessError("\(method) \(url) timed out") }
    let (status, data, error) = result.value
    if let error { throw DaemonProcessError("\(method) \(url): \(error)") }
    return (status, data.flatMap { try? JSONSerialization.jsonObject(with: $0) })
}
