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

    let process = Process()
    let port: Int
    /// The session the emulator starts for the agent at launch.
    let sessionID: String
    private let session: URLSession

    init() throws {
        process.executableURL = DaemonProcess.product("softphone-api-emulator")
        process.arguments = ["--port", "0", "--client-id", Self.clientID, "--user-id", Self.userID]
        var environment = ProcessInfo.processInfo.environment
        environment["SOFTPHONE_EMULATOR_CLIENT_SECRET"] = Self.secret
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The banner names the port and the session; read it line by line until both are there.
        var banner = ""
        let deadline = Date().addingTimeInterval(15)
        var port: Int?
        var sessionID: String?
        while (port == nil || sessionID == nil) && Date() < deadline && process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
            if let range = banner.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(banner[range].split(separator: ":").last ?? "")
            }
            if let range = banner.range(of: #"session: [A-Za-z0-9_-]+"#, options: .regularExpression) {
                sessionID = String(banner[range].dropFirst("session: ".count))
            }
        }
        guard let port, let sessionID else {
            if process.isRunning { process.terminate() }
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
    func admin(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> (status: Int, json: Any?) {
        try loopbackRequest(session: session, method, "http://127.0.0.1:\(port)/admin/\(path)", body)
    }

    /// Whether the platform has the agent muted.
    func platformMuted() throws -> Bool? {
        let sessions = (try admin("GET", "sessions").json as? [String: Any])?["sessions"] as? [[String: Any]] ?? []
        return sessions.first { $0["id"] as? String == sessionID }?["muted"] as? Bool
    }

    /// Polls until the platform's state is `muted`. - Returns: whether it got there in time.
    func waitForPlatform(muted: Bool, timeout: Double = 5) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try platformMuted() == muted { return true }
            Thread.sleep(forTimeInterval: 0.002)
        } while Date() < deadline
        return false
    }

    func supervisor(muted: Bool) throws {
        let status = try admin("POST", "sessions/\(sessionID)/\(muted ? "mute" : "unmute")").status
        guard status == 200 else { throw DaemonProcessError("supervisor \(muted ? "mute" : "unmute") answered \(status)") }
    }

    func setHanging(_ enabled: Bool) throws { try admin("POST", "hang", ["enabled": enabled]) }

    /// The request log: method, path, status, body.
    func requests() throws -> [[String: Any]] { try admin("GET", "requests").json as? [[String: Any]] ?? [] }

    func stop() {
        session.invalidateAndCancel()
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
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
