import DaemonTestSupport
import Foundation
import Testing

/// A real `softphoned` process started the way a user or systemd starts it.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let socketPath: String
    let logURL: URL

    /// The directory of the built products (`softphoned`, `softphonectl`), next to the test bundle.
    static var productsDirectory: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("softphoned").path) }
            ?? candidates[0]
    }

    static func product(_ name: String) -> URL { productsDirectory.appendingPathComponent(name) }

    /// A fresh private directory for one test's socket, config and logs.
    static func makeDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp").appendingPathComponent("softphoned-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url
    }

    /// Starts `softphoned --config <yaml>`; `yaml` gets a `control.socket` in the test directory
    /// unless it names one.
    /// - Parameter namespace: a network namespace to run softphoned in (`ip netns exec`; the
    ///   control socket is a file, so it is reached from here all the same).
    init(yaml: String, arguments: [String] = [], environment: [String: String] = [:], directory: URL? = nil,
         waitForSocket: Bool = true, namespace: String? = nil) throws {
        self.directory = try directory ?? Self.makeDirectory()
        socketPath = self.directory.appendingPathComponent("control.sock").path
        let configURL = self.directory.appendingPathComponent("softphoned.yaml")
        var text = yaml
        if !yaml.contains("control:") { text += "\ncontrol:\n  socket: \"\(socketPath)\"\n" }
        try text.write(to: configURL, atomically: true, encoding: .utf8)
        logURL = self.directory.appendingPathComponent("softphoned.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, Self.product("softphoned").path, "--config", configURL.path] + arguments
        } else {
            process.executableURL = Self.product("softphoned")
            process.arguments = ["--config", configURL.path] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("SOFTPHONED_") || key.hasPrefix("NOTIFY_") || key.hasPrefix("LISTEN_") { env[key] = nil }
        env.merge(environment) { _, new in new }
        process.environment = env
        let log = try FileHandle(forWritingTo: logURL)
        process.standardError = log
        process.standardOutput = log
        try process.run()
        if waitForSocket { try self.waitForSocket() }
    }

    func waitForSocket(timeout: Double = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let client = try? ControlClient(path: socketPath) {
                client.close()
                return
            }
            guard process.isRunning else { throw DaemonProcessError("softphoned exited with \(process.terminationStatus): \(log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonProcessError("softphoned's control socket did not appear within \(timeout) s: \(log)")
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Sends a signal and waits for the exit. - Returns: exit status and seconds taken.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 10) -> (status: Int32, seconds: Double) {
        let start = Date()
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = start.addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

struct DaemonProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command to completion; after `timeout` seconds it is stopped.
/// - Returns: exit status (the signal's number when it was killed), stdout and stderr.
@discardableResult
func runCommand(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                timeout: Double = 20) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = try ExternalProcess(executable.path, arguments, environment: environment ?? [:],
                                      inheritEnvironment: environment == nil)
    let result: ExternalProcess.Result
    do {
        result = try process.wait(timeout: timeout)
    } catch {
        result = error.partial
    }
    return (result.status, result.standardOutputText, result.standardError)
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var string: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
