import AsyncHTTPClient
import Foundation
import Logging
import SessionAPIEmulator
import PlatformSync
import Synchronization
import Testing

/// Records every log line (message and metadata) so tests can look for leaked secrets.
final class LogRecorder: Sendable {
    let lines = Mutex<[String]>([])

    func logger(label: String = "test.signaling") -> Logger {
        var logger = Logger(label: label) { label in RecordingLogHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    var all: [String] { self.lines.withLock { $0 } }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let line = "\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
        self.recorder.lines.withLock { $0.append(line) }
    }
}

/// Everything the daemon would see from the service: remote changes and status changes.
final class Observations: Sendable {
    let remote = Mutex<[Bool]>([])
    let statuses = Mutex<[SignalingStatus]>([])

    var remoteChanges: [Bool] { self.remote.withLock { $0 } }
    var states: [SignalingStatus.State] { self.statuses.withLock { $0.map(\.state) } }
}

enum TestValues {
    static let clientID = "softphone-test"
    /// Characters that must be form-encoded, to prove the body is encoded properly.
    static let secret = "s3cr&t=+ x%/ü"
    static let userID = "agent-7"
}

func emulatorConfiguration(
    scopes: Set<String> = ["session:read", "session:write"], tokenLifetime: Int = 3600, autoCreate: Bool = false
) -> SessionAPIEmulatorConfiguration {
    SessionAPIEmulatorConfiguration(
        clients: [TestValues.clientID: .init(secret: TestValues.secret, grantedScopes: scopes)],
        users: [TestValues.userID],
        tokenLifetime: tokenLifetime,
        autoCreateSessions: autoCreate
    )
}

func signalingConfiguration(port: Int, scope: String = PlatformSyncConfiguration.defaultScope) -> PlatformSyncConfiguration {
    PlatformSyncConfiguration(
        baseURL: "http://127.0.0.1:\(port)/api/v2",
        tokenURL: "http://127.0.0.1:\(port)/oauth/token",
        clientID: TestValues.clientID,
        clientSecret: Secret(TestValues.secret),
        userID: TestValues.userID,
        scope: scope,
        pollInterval: .milliseconds(100),
        verify: true,
        requestTimeout: .milliseconds(700),
        tokenMargin: .seconds(60),
        backoffBase: .milliseconds(50),
        backoffMax: .milliseconds(400)
    )
}

/// A running emulator and signaling service wired as the daemon would wire them.
struct Harness: Sendable {
    let emulator: SessionAPIEmulator
    let service: PlatformSyncService
    let observations: Observations
    let logs: LogRecorder
    let port: Int

    func log(_ method: String, _ pathContains: String) -> [LoggedRequest] {
        self.emulator.requestLog().filter { $0.method == method && $0.path.contains(pathContains) }
    }
}

/// Starts an emulator (unless `port` is given, in which case nothing listens there yet),
/// runs the service against it for the duration of `body`, then stops both.
func withHarness(
    emulator emulatorConfig: SessionAPIEmulatorConfiguration = emulatorConfiguration(),
    startEmulator: Bool = true,
    port fixedPort: Int? = nil,
    configure: (inout PlatformSyncConfiguration) -> Void = { _ in },
    _ body: (Harness) async throws -> Void
) async throws {
    let emulator = SessionAPIEmulator(configuration: emulatorConfig)
    let port = startEmulator ? try await emulator.start(port: fixedPort ?? 0) : (fixedPort ?? 0)
    var configuration = signalingConfiguration(port: port)
    configure(&configuration)
    let observations = Observations()
    let logs = LogRecorder()
    let service = PlatformSyncService(
        configuration: configuration,
        logger: logs.logger(),
        onRemoteChange: { muted in observations.remote.withLock { $0.append(muted) } },
        onStatusChange: { status in observations.statuses.withLock { $0.append(status) } }
    )
    let running = Task { try await service.run() }
    let harness = Harness(emulator: emulator, service: service, observations: observations, logs: logs, port: port)
    do {
        try await body(harness)
    } catch {
        running.cancel()
        _ = await running.result
        await emulator.stop()
        throw error
    }
    running.cancel()
    _ = await running.result
    await emulator.stop()
}

/// A port nothing listens on right now (bound by an emulator, then released).
func freePort() async throws -> Int {
    let probe = SessionAPIEmulator(configuration: SessionAPIEmulatorConfiguration())
    let port = try await probe.start(port: 0)
    await probe.stop()
    return port
}
