import Synchronization

/// The agent's call as a profile sees it: the call's generation (a new call is a new one even
/// with the same ids) and what the caller knows of its platform identity.
struct PlatformCall: Sendable, Equatable {
    var generation: UInt64
    var sessionID: String?
    /// `genesys`: the conversation and participant, when the caller knows them.
    var conversationID: String?
    var participantID: String?
}

/// What a profile reports to the service that runs it, in order, on one stream
/// (``PlatformProfile/updates``). The profile never calls its owner.
enum PlatformUpdate: Sendable {
    /// An edit of the service's ``SignalingStatus``, applied in the order it was reported.
    case status(@Sendable (inout SignalingStatus) -> Void)
    /// The platform shows a mute state the daemon did not set (a supervisor's change).
    case remoteChange(Bool)
}

/// The seam both profiles fit (`sessions`: ``SessionsSync``; `genesys`: ``GenesysSignaling``).
///
/// ``PlatformSyncService`` tells the profile what the daemon wants — the call, the desired
/// mute state, the poll interval — and consumes ``updates`` until ``run()`` ends. The
/// profile keeps its own copy of those inputs (``ProfileInputs``), so it reads nothing of
/// its owner and reports everything through ``updates``.
protocol PlatformProfile: AnyObject, Sendable {
    /// What the profile reports; finishes when ``run()`` returns.
    var updates: AsyncStream<PlatformUpdate> { get }
    /// Runs until ``finish()`` (or cancellation).
    func run() async
    /// A call started (or `nil`: it ended).
    func setCall(_ call: PlatformCall?)
    /// The mute state the daemon wants the platform to have.
    func setDesiredState(muted: Bool)
    /// How often the platform is read while polling (SIGHUP reload).
    func setPollInterval(_ interval: Duration)
    /// Ends ``run()``.
    func finish()
}

/// A profile's copy of what the daemon wants, set by the service and read by the profile.
final class ProfileInputs: Sendable {
    struct Values: Sendable {
        var desired: Bool
        var call: PlatformCall?
        var pollInterval: Duration
    }

    private let values: Mutex<Values>

    init(desired: Bool, call: PlatformCall?, pollInterval: Duration) {
        self.values = Mutex(Values(desired: desired, call: call, pollInterval: pollInterval))
    }

    var desired: Bool { self.values.withLock { $0.desired } }
    var call: PlatformCall? { self.values.withLock { $0.call } }
    var pollInterval: Duration { self.values.withLock { $0.pollInterval } }

    func set(_ body: (inout Values) -> Void) {
        self.values.withLock { body(&$0) }
    }

    /// A remote change: the desired state follows it.
    /// - Returns: whether it changed the desired state.
    func followRemote(_ muted: Bool, ifDesiredIs expected: Bool? = nil) -> Bool {
        self.values.withLock { values in
            if let expected, values.desired != expected { return false }
            guard values.desired != muted else { return false }
            values.desired = muted
            return true
        }
    }
}
