import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `softphoned` process started the way a user or systemd starts it: a config file in a
/// private directory (with the control socket next to it), its log in a file there.
///
/// `start` launches it and waits, without holding a thread, until its control socket accepts;
/// `init` only launches it (a daemon expected to fail, or one that reports readiness some
/// other way). `stop` is synchronous so it can run from a `defer`.
public final class DaemonProcess: Sendable {
    /// The private directory of the config, the socket (unless the YAML names another) and the log.
    public let directory: URL
    /// The control socket the config names.
    public let socketPath: String
    /// Where standard output and standard error go, interleaved.
    public let logURL: URL
    private let process: ExternalProcess

    /// The directory of the built products (`softphoned`, `softphonectl`), next to the test bundle.
    public static var productsDirectory: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("softphoned").path) }
            ?? candidates[0]
    }

    /// A built product of the package (`softphoned`, `softphonectl`, `softphone-api-emulator`).
    public static func product(_ name: String) -> URL { productsDirectory.appendingPathComponent(name) }

    /// A fresh private (0700) directory for one test's socket, config and logs, under `/tmp`
    /// with a short name: a socket path must fit `sockaddr_un`.
    public static func makeDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp").appendingPathComponent("softphoned-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url
    }

    /// Launches `softphoned --config <yaml> <arguments>` without waiting for it; `yaml` gets a
    /// `control.socket` in the test directory unless it names one.
    /// - Parameters:
    ///   - environment: added to this process's environment, from which every `SOFTPHONED_`,
    ///     `NOTIFY_` and `LISTEN_` variable has been removed.
    ///   - directory: the directory to use (it is removed with the process); a fresh one by default.
    ///   - namespace: a network namespace to run softphoned in (`ip netns exec`; the control
    ///     socket is a file, so it is reached from here all the same).
    public init(yaml: String, arguments: [String] = [], environment: [String: String] = [:], directory: URL? = nil,
                namespace: String? = nil) throws {
        self.directory = try directory ?? Self.makeDirectory()
        socketPath = self.directory.appendingPathComponent("control.sock").path
        let configURL = self.directory.appendingPathComponent("softphoned.yaml")
        var text = yaml
        if !yaml.contains("control:") { text += "\ncontrol:\n  socket: \"\(socketPath)\"\n" }
        try text.write(to: configURL, atomically: true, encoding: .utf8)
        logURL = self.directory.appendingPathComponent("softphoned.log")
        // Empty, also when a directory is reused for a second daemon.
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let env = Self.environment(adding: environment)
        let daemon = [Self.product("softphoned").path, "--config", configURL.path] + arguments
        let command = namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] + daemon } ?? daemon
        process = try ExternalProcess(command[0], Array(command.dropFirst()), environment: env, inheritEnvironment: false,
                                      output: logURL)
    }

    /// This process's environment without what would configure a daemon behind the test's back
    /// (`SOFTPHONED_*`, systemd's `NOTIFY_*` and `LISTEN_*`), plus `extra`.
    public static func environment(adding extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("SOFTPHONED_") || key.hasPrefix("NOTIFY_") || key.hasPrefix("LISTEN_") {
            environment[key] = nil
        }
        return environment.merging(extra) { _, new in new }
    }

    /// Launches the daemon (as `init` does) and waits until its control socket accepts.
    /// - Throws: `DaemonProcessError` with the log when it exits first or the socket does
    ///   not appear within `socketTimeout`.
    public static func start(yaml: String, arguments: [String] = [], environment: [String: String] = [:],
                             directory: URL? = nil, namespace: String? = nil,
                             socketTimeout: Duration = .seconds(15)) async throws -> DaemonProcess {
        let daemon = try DaemonProcess(yaml: yaml, arguments: arguments, environment: environment, directory: directory,
                                       namespace: namespace)
        try await daemon.waitForSocket(timeout: socketTimeout)
        return daemon
    }

    /// Waits until the control socket accepts a connection (which it closes again).
    /// - Throws: `DaemonProcessError` with the log when the daemon exits first or the socket
    ///   does not appear in time.
    public func waitForSocket(timeout: Duration = .seconds(15)) async throws {
        _ = try await connect(timeout: timeout)
    }

    /// A new connection to the control socket, waiting (as `waitForSocket`) until it accepts.
    public func client(timeout: Duration = .seconds(15)) async throws -> ControlClient {
        try await connect(timeout: timeout)
    }

    private func connect(timeout: Duration) async throws -> ControlClient {
        var client: ControlClient?
        let ready = try await eventually(timeout: timeout, poll: .milliseconds(50)) {
            client = try? ControlClient(path: socketPath)
            if client != nil { return true }
            guard process.isRunning else {
                throw DaemonProcessError("softphoned \(exitDescription): \(log)")
            }
            return false
        }
        guard ready, let client else {
            throw DaemonProcessError("softphoned's control socket did not appear within \(timeout): \(log)")
        }
        return client
    }

    /// Everything the daemon has logged so far.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// The command line, for messages (and tests of what it shows).
    public var command: String { process.command }

    /// The process id (for `/proc`; signal the daemon with `send`).
    public var processIdentifier: pid_t { process.processIdentifier }

    /// True while the daemon runs.
    public var isRunning: Bool { process.isRunning }

    /// How the daemon ended (exit status or signal), once it has; `nil` while it runs.
    public var result: ExternalProcess.Result? { process.result }

    /// Sends `signal` while the daemon runs.
    public func send(_ signal: Int32) { process.send(signal) }

    /// Waits, without holding a thread, for the daemon to exit by itself; after `timeout` it is
    /// stopped and `ExternalProcessTimeout` thrown.
    @discardableResult
    public func finished(within timeout: Duration) async throws -> ExternalProcess.Result {
        try await process.finished(within: timeout)
    }

    /// Sends `signal` and waits up to `timeout` seconds for the exit, then sends SIGKILL.
    /// Synchronous (it blocks the calling thread), so it works from `defer`.
    /// - Returns: the exit status (the signal's number when `signalled`) and the seconds taken.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 10) -> (status: Int32, signalled: Bool, seconds: Double) {
        let start = ContinuousClock.now
        process.send(signal)
        if !process.waitForExit(timeout: timeout) {
            process.kill()
            _ = process.waitForExit(timeout: 10)
        }
        let elapsed = (ContinuousClock.now - start).components
        let result = process.result
        return (result?.status ?? -1, result?.signalled ?? false,
                Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }

    private var exitDescription: String {
        guard let result = process.result else { return "is running" }
        return result.signalled ? "was killed by signal \(result.status)" : "exited with \(result.status)"
    }

    deinit {
        if process.isRunning {
            process.kill()
            _ = process.waitForExit(timeout: 10)
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The daemon did not start or answer as a test expected.
public struct DaemonProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a command to completion, waiting without holding a thread; after `timeout` seconds
/// it is stopped.
/// - Parameter environment: the program's whole environment; this process's when `nil`.
/// - Returns: exit status (the signal's number when it was killed), stdout and stderr.
@discardableResult
public func runCommand(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       timeout: Double = 20) async throws -> (status: Int32, stdout: String, stderr: String) {
    let process = try ExternalProcess(executable.path, arguments, environment: environment ?? [:],
                                      inheritEnvironment: environment == nil)
    let result: ExternalProcess.Result
    do {
        result = try await process.finished(within: .seconds(timeout))
    } catch let timedOut as ExternalProcessTimeout {
        result = timedOut.partial
    }
    return (result.status, result.standardOutputText, result.standardError)
}
