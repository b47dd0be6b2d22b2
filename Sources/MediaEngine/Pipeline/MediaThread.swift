import CPOSIX
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How the media threads were scheduled, for `status` and the logs.
public enum MediaThreadPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Not started yet.
    case unknown
    /// `SCHED_RR` at this priority (RLIMIT_RTPRIO or CAP_SYS_NICE allowed it).
    case realtime(priority: Int32)
    /// The normal scheduler at this raised nice level.
    case nice(Int32)
    /// The normal scheduler at the process's own priority: nothing more was allowed.
    case normal

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .realtime(let priority): "SCHED_RR \(priority)"
        case .nice(let level): "nice \(level)"
        case .normal: "normal"
        }
    }
}

/// The policy the media threads of one call got (both try the same; the first to start records it).
public final class MediaThreadScheduling: Sendable {
    private let policy = Mutex<MediaThreadPolicy>(.unknown)
    public init() {}
    public var current: MediaThreadPolicy { policy.withLock { $0 } }
    func record(_ value: MediaThreadPolicy) { policy.withLock { if $0 == .unknown { $0 = value } } }
}

/// A dedicated, named media thread at the best priority the process may take.
enum MediaThread {
    /// The real-time priority asked for: above desktop work, below the kernel's and the sound server's own threads.
    static let realtimePriority: Int32 = 10
    /// The nice level asked for when real-time scheduling is not allowed.
    static let niceLevel: Int32 = -10

    /// Starts `body` on a new thread named `name` (at most 15 characters, as Linux shows in `top`).
    static func start(name: String, scheduling: MediaThreadScheduling, body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            _ = softphoned_name_current_thread(name)
            scheduling.record(raisePriority())
            body()
        }
        thread.name = name
        thread.start()
    }

    /// `SCHED_RR` where RLIMIT_RTPRIO (or root) allows it, else a raised nice level, else nothing.
    static func raisePriority() -> MediaThreadPolicy {
        var limit = rlimit()
        let rtprio: rlim_t = getrlimit(__rlimit_resource_t(__RLIMIT_RTPRIO.rawValue), &limit) == 0 ? limit.rlim_cur : 0
        let allowed = geteuid() == 0 ? realtimePriority : Int32(min(rlim_t(realtimePriority), rtprio))
        if allowed > 0 {
            var parameters = sched_param(sched_priority: allowed)
            if pthread_setschedparam(pthread_self(), SCHED_RR, &parameters) == 0 { return .realtime(priority: allowed) }
        }
        // Linux keeps a nice level per thread: PRIO_PROCESS with the thread's id.
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(softphoned_current_thread_id()), niceLevel) == 0 { return .nice(niceLevel) }
        return .normal
    }
}
