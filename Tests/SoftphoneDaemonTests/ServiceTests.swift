import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

/// softphoned as a Linux service: real processes started as systemd starts them, checked from
/// the outside (exit status, signals, the notify socket, socket activation, reload, the CLI).
///
/// The nested suites run one test at a time: several daemons at once on a 2-core machine
/// would make the shutdown-time checks measure the machine instead of the daemon.
@Suite("softphoned as a service", .serialized)
struct ServiceTests {
    /// A configuration with a tone microphone and a static call to `receiver`.
    static func callYAML(to receiver: WireReceiver, extra: String = "", level: String = "info") -> String {
        """
        audio: { source: "tone:1000", playback: none }
        call:
          remote: "127.0.0.1:\(receiver.port)"
          srtp-suite: AES_CM_128_HMAC_SHA1_80
          srtp-key: "\(receiver.key.inlineKey)"
          media-timeout: 0
        log: { level: \(level) }
        \(extra)
        """
    }

    /// A configuration without a call.
    static let idleYAML = """
        audio: { source: "tone:1000", playback: none }
        log: { level: info }
        """

    /// Runs `softphoned` to completion with `arguments`.
    static func softphoned(_ arguments: [String], environment: [String: String] = [:]) async throws
        -> (status: Int32, stdout: String, stderr: String) {
        var env = DaemonProcess.environment()
        for key in env.keys where key.hasPrefix("GENESYS_") || key == "AGENT_USER_ID" || key == "CREDENTIALS_DIRECTORY" {
            env[key] = nil
        }
        env.merge(environment) { _, new in new }
        return try await runCommand(DaemonProcess.product("softphoned"), arguments, environment: env)
    }

    /// Runs `softphonectl` to completion.
    static func softphonectl(_ arguments: [String], timeout: Double = 20) async throws -> (status: Int32, stdout: String, stderr: String) {
        var env = ProcessInfo.processInfo.environment
        env["SOFTPHONED_CONTROL_SOCKET"] = nil
        return try await runCommand(DaemonProcess.product("softphonectl"), arguments, environment: env, timeout: timeout)
    }
}
