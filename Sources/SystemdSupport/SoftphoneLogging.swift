import Foundation
import Logging
import Synchronization

/// The daemon's logging set-up: swift-log bootstrapped with ``SystemdLogHandler`` on stderr
/// and one shared, reloadable level.
public enum SoftphoneLogging {
    /// The level every bootstrapped handler consults. Set ``LogLevelControl/level`` to
    /// change it at run time (SIGHUP reload).
    public static let level = LogLevelControl(.info)

    private static let bootstrapped = Mutex(false)

    /// The line style for stderr: `journal` when it is the journald stream.
    public static func style(environment: [String: String] = ProcessInfo.processInfo.environment) -> LogLineFormatter.Style {
        JournalStream.isJournal(fileDescriptor: STDERR_FILENO, environment: environment) ? .journal : .plain
    }

    /// Bootstraps swift-log once per process; later calls only change the level.
    /// - Parameters:
    ///   - level: the initial level.
    ///   - environment: decides journal or plain lines (`JOURNAL_STREAM`).
    ///   - metadataProvider: contributes metadata to every message (e.g. the call ID).
    public static func bootstrap(
        level initial: Logger.Level,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        level.level = initial
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let formatter = LogLineFormatter(style: style(environment: environment))
        LoggingSystem.bootstrap({ label, provider in
            SystemdLogHandler(
                label: label, formatter: formatter, output: .standardError,
                levelControl: level, metadataProvider: provider)
        }, metadataProvider: metadataProvider)
    }
}
