import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The project's `softphone-api-emulator` run as its own process (as a user runs it), in either
/// profile, driven over HTTP on loopback. Out of process, its server never competes with the
/// test for the cooperative pool.
///
/// (The demo's launcher in SoftphoneDemo stays apart: the daemon's binary carries it, and
/// must not carry test code.)
public final class APIEmulatorProcess: Sendable {
    /// The arguments after `--port 0` (profile, user, delays).
    public let arguments: [String]
    /// The loopback port it serves on.
    public let port: Int
    /// What it printed at start: the URLs, and for the `sessions` profile the session it
    /// created for the agent.
    public let banner: String
    private let process: ExternalProcess
    private let session: URLSession

    /// Starts `softphone-api-emulator --port 0 <arguments>` and waits (without holding a
    /// thread) for its banner.
    /// - Parameter environment: added to this process's (the client secret, for one).
    /// - Throws: `DaemonProcessError` with what it printed when no banner comes within 15 s.
    public init(arguments: [String] = [], environment: [String: String] = [:]) async throws {
        self.arguments = arguments
        process = try ExternalProcess(DaemonProcess.product("softphone-api-emulator").path, ["--port", "0"] + arguments,
                                      environment: environment)
        // The banner is one write (a few lines, the first naming the port) ending in a newline.
        var banner = ""
        var port: Int?
        _ = try await eventually(timeout: .seconds(15), poll: .milliseconds(20)) { [process] in
            banner = String(decoding: process.standardOutputSoFar(), as: UTF8.self)
            if banner.hasSuffix("\n"),
               let range = banner.range(of: #"listening on http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
                port = Int(banner[range].split(separator: ":").last ?? "")
            }
            return port != nil || !process.isRunning
        }
        guard let port else {
            process.terminate()
            throw DaemonProcessError("softphone-api-emulator did not start: \(banner)")
        }
        self.port = port
        self.banner = banner
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        session = URLSession(configuration: configuration)
    }

    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// The session the `sessions` profile created for the agent at start (its banner's `session:`).
    public var sessionID: String? {
        banner.range(of: #"session: [A-Za-z0-9_-]+"#, options: .regularExpression).map {
            String(banner[$0].dropFirst("session: ".count))
        }
    }

    /// One JSON request to `path` (from the root: `/admin/sessions`), waited for without
    /// holding a thread (at most 10 s).
    /// - Returns: the status and the decoded body, if any.
    @discardableResult
    public func request(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> (status: Int, json: Any?) {
        try await Self.request(session: session, method, url + path, body)
    }

    /// One JSON request to any loopback `url` (a page the emulator redirects to).
    public static func request(session: URLSession = .shared, _ method: String, _ url: String,
                               _ body: [String: Any]? = nil) async throws -> (status: Int, json: Any?) {
        guard let target = URL(string: url) else { throw DaemonProcessError("not a URL: \(url)") }
        var request = URLRequest(url: target)
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

    /// Stops the emulator (SIGTERM, then SIGKILL after 10 s). Synchronous, for `defer`.
    public func stop() {
        session.invalidateAndCancel()
        process.terminate()
        if !process.waitForExit(timeout: 10) {
            process.kill()
            _ = process.waitForExit(timeout: 5)
        }
    }

    deinit { stop() }
}
