#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The service manager's watchdog settings, as `sd_watchdog_enabled(3)` reads them.
public enum WatchdogConfiguration {
    /// The watchdog interval systemd expects `WATCHDOG=1` within, or `nil` when the
    /// watchdog is off for this process.
    ///
    /// Reads `WATCHDOG_USEC`; when `WATCHDOG_PID` is set it must equal `processID`
    /// (the variables may have been inherited from a parent that systemd watches).
    /// - Throws: `SystemdError` when either variable is not a positive decimal number.
    public static func interval(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        processID: pid_t = getpid()
    ) throws(SystemdError) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], !text.isEmpty else { return nil }
        guard let usec = UInt64(text), usec > 0 else {
            throw .invalidEnvironment("WATCHDOG_USEC", text, "expected a positive number of microseconds")
        }
        if let pidText = environment["WATCHDOG_PID"], !pidText.isEmpty {
            guard let pid = pid_t(pidText), pid > 0 else {
                throw .invalidEnvironment("WATCHDOG_PID", pidText, "expected a positive process ID")
            }
            if pid != processID { return nil }
        }
        return .microseconds(Int64(clamping: usec))
    }
}
