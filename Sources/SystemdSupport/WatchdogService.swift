import Logging
import ServiceLifecycle

/// Keeps systemd's watchdog fed for as long as the media path is alive.
///
/// Every half interval it asks `isAlive`; only when that says yes does it send
/// `WATCHDOG=1`. A stuck media thread therefore stops the pings and systemd's watchdog
/// (`WatchdogSec=`) restarts the service, which is the point: an async task that keeps
/// running is no proof that audio still flows. The daemon passes something like
/// `{ MonotonicClock.now() - lastMediaHeartbeat < threshold }`.
///
/// Without an interval (no `WATCHDOG_USEC`) the service idles until graceful shutdown.
public struct WatchdogService: Service {
    private let notifier: SystemdNotifier
    private let interval: Duration?
    private let isAlive: @Sendable () -> Bool
    private let logger: Logger

    /// - Parameters:
    ///   - notifier: where `WATCHDOG=1` goes.
    ///   - interval: the manager's watchdog interval, usually
    ///     ``WatchdogConfiguration/interval(environment:processID:)``; `nil` turns pings off.
    ///   - logger: told when liveness is lost and regained.
    ///   - isAlive: called from a Swift concurrency task every half interval; must be cheap
    ///     and must not block (read an atomic).
    public init(
        notifier: SystemdNotifier,
        interval: Duration?,
        logger: Logger = Logger(label: "softphoned.watchdog"),
        isAlive: @escaping @Sendable () -> Bool
    ) {
        self.notifier = notifier
        self.interval = interval
        self.isAlive = isAlive
        self.logger = logger
    }

    /// How often the service checks liveness: half the manager's interval, as
    /// `sd_watchdog_enabled(3)` recommends.
    public var pingPeriod: Duration? {
        interval.map { $0 / 2 }
    }

    public func run() async throws {
        guard let period = pingPeriod, notifier.isEnabled else {
            // Nothing to feed: stay in the group until shutdown like every other service.
            try? await gracefulShutdown()
            return
        }
        var stalled = false
        // The first ping goes out at once so a short interval cannot expire during start-up.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if isAlive() {
                notifier.watchdog()
                if stalled {
                    stalled = false
                    logger.notice("media path alive again; watchdog pings resumed")
                }
            } else if !stalled {
                stalled = true
                logger.error("media path stalled; withholding watchdog pings so systemd can restart the service")
            }
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: period)
                }
            } catch {
                return
            }
        }
    }
}
