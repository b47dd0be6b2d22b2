import CallControl
import Foundation
import Logging
import ServiceLifecycle
import PlatformSync
import SystemdSupport
import UnixSignals

/// SIGHUP: re-reads the configuration and applies what can change during a call
/// (log level, mute mode, Opus bitrate, poll interval); everything else is reported as
/// needing a restart. A configuration that no longer loads is refused and the old one kept.
struct ReloadService: Service {
    let daemon: Daemon
    static let reloadable: Set<String> = ["log.level", "mute.mode", "opus.bitrate", "api.poll-interval-ms"]

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        try await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                await reload()
            }
        } onGracefulShutdown: {}
    }

    func reload() async {
        _ = daemon.notifier.reloading(status: "reloading configuration")
        defer { _ = daemon.notifier.ready(status: daemon.statusLine()) }
        let new: DaemonConfiguration
        do {
            new = try await ConfigurationLoader.load(path: daemon.configPath)
        } catch {
            daemon.logger.error("reload refused; keeping the running configuration", metadata: ["error": "\(error)"])
            return
        }
        let (applied, notApplied) = Self.differences(old: daemon.currentConfiguration, new: new)
        SoftphoneLogging.level.level = Logger.Level(new.logLevel)
        daemon.mute.setDefaultMode(new.muteMode)
        await daemon.calls.reload(new.callSettings)
        daemon.signaling?.setPollInterval(.milliseconds(new.api.pollIntervalMilliseconds))
        daemon.currentConfiguration = new
        daemon.logger.notice("configuration reloaded", metadata: [
            "applied": "\(applied.isEmpty ? "nothing changed" : applied.joined(separator: ", "))",
            "needsRestart": "\(notApplied.isEmpty ? "none" : notApplied.joined(separator: ", "))",
        ])
    }

    /// Which changed keys apply now and which need a restart.
    static func differences(old: DaemonConfiguration, new: DaemonConfiguration) -> (applied: [String], notApplied: [String]) {
        let before = Dictionary(old.dump().split(separator: "\n").map(Self.pair), uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.dump().split(separator: "\n").map(Self.pair), uniquingKeysWith: { a, _ in a })
        let changed = after.keys.filter { before[$0] != after[$0] }.sorted()
        return (changed.filter(reloadable.contains), changed.filter { !reloadable.contains($0) })
    }

    private static func pair(_ line: Substring) -> (String, String) {
        let parts = line.split(separator: ":", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }
}

extension Logger.Level {
    init(_ level: DaemonConfiguration.LogLevel) {
        self = switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
