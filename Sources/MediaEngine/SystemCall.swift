// `struct timespec` reaches this module through alsa-lib's headers as well as Glibc's; with
// member import visibility, optimised builds attribute its members to CALSA.
import CALSA
#if canImport(Glibc)
import Glibc
#endif

/// A failed system or library call, with the call's name and its error number.
public struct SystemCallError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let errno: CInt
    public init(call: String, errno: CInt) {
        self.call = call
        self.errno = errno
    }
    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Runs a syscall-style body (negative result and `errno` on failure), retrying on `EINTR`.
/// - Throws: `SystemCallError` with `name` and `errno`.
@inline(__always)
@discardableResult
func systemCall<T: BinaryInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let error = Glibc.errno
        if error == EINTR { continue }
        throw SystemCallError(call: name(), errno: error)
    }
}

/// The monotonic clock in nanoseconds, the time base of media pacing and mute timing.
public enum MonotonicClock {
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Sleeps until the absolute monotonic deadline (no drift: deadlines never accumulate error).
    @inline(__always)
    public static func sleep(until deadline: UInt64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }

    /// Wall-clock time in nanoseconds since 1970 (for RTCP NTP timestamps).
    @inline(__always)
    public static func unixNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
