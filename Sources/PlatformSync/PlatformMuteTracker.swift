/// What the daemon knows of the platform's mute state for one conversation, and the
/// rules that tell the confirmation of its own PATCH from someone else's change (SPEC §5b).
///
/// A PATCH is answered 202 before the platform applies it; the confirmation is a later
/// snapshot that shows the value. Until then snapshots may still show the old value, and
/// those are stale, not remote changes. The pending values are kept in the order sent, so
/// a quick mute-unmute (two PATCHes) is confirmed step by step.
public struct PlatformMuteTracker: Sendable, Equatable {
    /// What one snapshot meant.
    public enum Observation: Sendable, Equatable {
        /// The first value seen for this conversation.
        case initial(Bool)
        /// It shows a value the daemon sent and is waiting for.
        case confirmed(Bool)
        /// It shows an older value while the daemon's own PATCH is pending: ignored.
        case stale
        /// Someone else changed it.
        case remote(Bool)
        /// Nothing changed.
        case unchanged
    }

    /// The platform's state as last seen (or confirmed).
    public private(set) var platformMuted: Bool?
    /// Values sent and not yet seen in a snapshot, oldest first.
    public private(set) var pending: [Bool] = []
    /// Since when the oldest pending value has waited.
    public private(set) var pendingSince: ContinuousClock.Instant?

    public init() {}

    /// Whether a PATCH of the daemon's own is outstanding or unconfirmed.
    public var isPending: Bool { !self.pending.isEmpty }

    /// The value the platform will have once what is pending applies.
    public var expected: Bool? { self.pending.last ?? self.platformMuted }

    /// Records a PATCH about to be sent.
    public mutating func sent(_ muted: Bool, at now: ContinuousClock.Instant = .now) {
        if self.pending.isEmpty { self.pendingSince = now }
        self.pending.append(muted)
    }

    /// The PATCH of `muted` failed (not accepted): stop waiting for it.
    public mutating func failed(_ muted: Bool) {
        if let index = self.pending.lastIndex(of: muted) { self.pending.remove(at: index) }
        if self.pending.isEmpty { self.pendingSince = nil }
    }

    /// Gives up waiting for confirmations (they timed out); the next snapshot is taken as it is.
    public mutating func abandonPending() {
        self.pending.removeAll()
        self.pendingSince = nil
    }

    /// Takes a snapshot's value of the agent's `muted`.
    public mutating func observe(_ muted: Bool, at now: ContinuousClock.Instant = .now) -> Observation {
        if let index = self.pending.firstIndex(of: muted) {
            // Confirms this value; any older pending value was superseded by it.
            self.pending.removeFirst(index + 1)
            self.pendingSince = self.pending.isEmpty ? nil : now
            self.platformMuted = muted
            return .confirmed(muted)
        }
        if !self.pending.isEmpty { return .stale }
        guard let known = self.platformMuted else {
            self.platformMuted = muted
            return .initial(muted)
        }
        self.platformMuted = muted
        return muted == known ? .unchanged : .remote(muted)
    }
}
