import Logging
import Synchronization

/// A log level shared by every handler that consults it, changeable at run time (SIGHUP
/// reload) without rebuilding loggers that services already hold.
public final class LogLevelControl: Sendable {
    private static let levels = Logger.Level.allCases
    private let index: Atomic<Int>

    /// - Parameter level: the level until ``level`` is set.
    public init(_ level: Logger.Level = .info) {
        index = Atomic(Self.levels.firstIndex(of: level) ?? 0)
    }

    /// The current level; messages below it are dropped.
    public var level: Logger.Level {
        get { Self.levels[index.load(ordering: .relaxed)] }
        set { index.store(Self.levels.firstIndex(of: newValue) ?? 0, ordering: .relaxed) }
    }
}
