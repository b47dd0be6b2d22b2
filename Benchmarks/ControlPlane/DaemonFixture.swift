import Foundation
import MediaCore
import MediaEngine
import SoftphoneDaemon

/// A real softphoned in this process, in a call: a 440 Hz tone as the microphone, no
/// playback, the control socket in a private temporary directory, and a static call to a
/// `WireClock` on 127.0.0.1. Only the control socket and the wire are used to measure.
final class DaemonFixture: Sendable {
    let daemon: Daemon
    let wire: WireClock
    let socketPath: String
    private let directory: URL
    private let task: Task<Void, any Error>

    init(muteMode: MuteMode) async throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("softphoned-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        socketPath = directory.appendingPathComponent("control.sock").path
        var configuration = DaemonConfiguration()
        configuration.audioSource = .tone(hertz: 440)
        configuration.audioPlayback = .none
        configuration.controlSocket = socketPath
        configuration.mediaTimeoutSeconds = 0
        configuration.muteMode = muteMode
        configuration.logLevel = .warning
        daemon = try Daemon(configuration: configuration, configPath: nil, environment: [:])
        wire = try WireClock()
        let daemon = self.daemon
        task = Task { try await daemon.run() }
        try await daemon.waitUntilServing()
        _ = try await daemon.calls.start(remote: wire.address, key: SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80))
        // Media flowing: the first packets have arrived.
        guard wire.firstArrival(atOrAfter: 0, timeout: 5_000_000_000) != nil else {
            throw ControlClientError("the call sent no RTP within 5 s")
        }
    }

    /// Ends the call and the daemon, and removes the control socket's directory.
    func stop() async {
        task.cancel()
        _ = try? await task.value
        wire.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs blocking socket code on its own thread, off Swift's cooperative pool (which the
/// daemon's services use), and returns its result.
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
