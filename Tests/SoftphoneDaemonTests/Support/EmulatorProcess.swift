import DaemonTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The project's `softphone-api-emulator` run as its own process (as a user runs it), driven
/// through its HTTP admin surface. Out of process, its server never competes with the
/// test's blocking threads.
final class EmulatorProcess: @unchecked Sendable {
    static let clientID = "softphone"
    static let secret = "emulator-secret-\(UUID().uuidString.prefix(8))"
    static let userID = "agent-7"

    let process: ExternalProcess
    let port: Int
    /// The session the emulator starts for the agent at launch.
    let sessionID: String
    private let session: URLSession

    init() async throws {
        process = try ExternalProcess(DaemonProcess.product("softphone-api-emulator").path,
                                      ["--port", "0", "--client-id", Self.clientID, "--user-id", Self.userID],
                                      environment: ["SOFTPHONE_EMULATOR_CLIENT_SECRET": Self.secret])
        // The banner names the port and the session; read it until both are there.
        var banner = ""
        var port: Int?
        var sessionID: String?
        _ = try await eventually(timeout: .seconds(15), poll: .milliseconds(20)) { [process] in
            banner = String(decoding: process.standardOutputSoFar(), as: UTF8.self)
            if let range = banner.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(banner[range].split(separator: ":").last ?? "")
            }
            if let range = banner.range(of: #"session: [A-Za-z0-9_-]+"#, options: .regularExpression) {
                sessionID = String(banner[range].dropFirst("session: ".count))
            }
            return (port != nil && sessionID != nil) || !process.isRunning
        }
        guard let port, let sessionID else {
            process.terminate()
            throw DaemonProcessError("softphone-api-emulator did not start: \(banner)")
        }
        self.port = port
        self.sessionID = sessionID
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        session = URLSession(configuration: configuration)
    }

    var baseURL: String { "http://127.0.0.1:\(port)/api/v2" }
    var tokenURL: String { "http://127.0.0.1:\(port)/oauth/token" }

    /// The daemon's `api:` section for this emulator.
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

    /// One admin request. - Returns: the status and the decoded JSON body (if any).
    @discardableResult
    func admin(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> (status: Int, json: Any?) {
        try await loopbackRequest(session: session, method, "http://127.0.0.1:\(port)/admin/\(path)", body)
    }

    /// Whether the platform has the agent muted.
    func platformMuted() async throws -> Bool? {
        let sessions = (try await admin("GET", "sessions").json as? [String: Any])?["sessions"] as? [[String: Any]] ?? []
        return sessions.first { $0["id"] as? String == sessionID }?["muted"] as? Bool
    }

    /// Polls until the platform's state is `muted`. - Returns: whether it got there in time.
    func waitForPlatform(muted: Bool, timeout: Double = 5) async throws -> Bool {
        try await eventually(timeout: .seconds(timeout), poll: .milliseconds(2)) { try await platformMuted() == muted }
    }

    func supervisor(muted: Bool) async throws {
        let status = try await admin("POST", "sessions/\(sessionID)/\(muted ? "mute" : "unmute")").status
        guard status == 200 else { throw DaemonProcessError("supervisor \(muted ? "mute" : "unmute") answered \(status)") }
    }

    func setHanging(_ enabled: Bool) async throws { try await admin("POST", "hang", ["enabled": enabled]) }

    /// The request log: method, path, status, body.
    func requests() async throws -> [[String: Any]] { try await admin("GET", "requests").json as? [[String: Any]] ?? [] }

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

/// A value shared with a callback thread.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    func set(_ value: Value) { lock.withLock { stored = value } }
    var value: Value { lock.withLock { stored } }
}
