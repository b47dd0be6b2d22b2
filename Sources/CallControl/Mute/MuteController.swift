import MediaCore
import MediaEngine
import Synchronization

/// The one owner of the agent's mute state.
///
/// Every change is carried out under one lock, in one order that every listener sees: the
/// state machine, the command to the call's send thread (dated by the request's arrival),
/// the event to every subscriber, then the platform and the observers (non-blocking
/// hand-offs). A change the media cannot take (its queue is full: the thread is wedged) is
/// refused whole, so the state never says what the media will not do. Replies wait for the
/// media's acknowledgement with `waitUntilApplied`.
public final class MuteController: Sendable {
    private struct Owned {
        var machine: MuteStateMachine
        /// The current call's media; nil between calls.
        var media: CallMedia?
        /// Hands the desired state to the platform (set once signaling exists).
        var publisher: (@Sendable (Bool) -> Void)?
        var observers: [@Sendable (MuteState, MuteChangeReason?) -> Void] = []
    }

    /// What a request did, and what to wait for before replying.
    public struct Outcome: Sendable {
        public var state: MuteState
        /// Whether the state (or, while muted, its mode) changed.
        public var changed: Bool
        /// The call's media and the command sequence number that carries this state (nil with no call).
        let pending: (media: CallMedia, sequence: UInt64)?
    }

    private let owned: Mutex<Owned>
    private let events: CallEventHub

    public init(initial: Bool, mode: MuteMode, persistAcrossCalls: Bool, events: CallEventHub) {
        owned = Mutex(Owned(machine: MuteStateMachine(initial: initial, mode: mode, persistAcrossCalls: persistAcrossCalls)))
        self.events = events
    }

    /// Where local changes go upstream (REST signaling).
    public func setPublisher(_ publish: @escaping @Sendable (Bool) -> Void) {
        owned.withLock { $0.publisher = publish }
    }

    /// Adds a listener told of every real change, in order, after the platform (e.g. the
    /// device's mixer switch), with the new state and the change's reason (`callEnded` for
    /// the reset at call end, which the switch does not follow). It runs under the owner's
    /// lock: it must not block or call back.
    public func addObserver(_ observer: @escaping @Sendable (MuteState, _ reason: MuteChangeReason?) -> Void) {
        owned.withLock { $0.observers.append(observer) }
    }

    public var state: MuteState { owned.withLock { $0.machine.state } }

    /// Sets the desired state.
    /// - Parameters:
    ///   - requestedAt: when the request arrived (monotonic ns); the gate cuts at the sample captured then.
    /// - Throws: `MuteError` when the call's media is not taking commands; nothing changed.
    @discardableResult
    public func set(muted: Bool, source: MuteSource, mode: MuteMode? = nil,
                    requestedAt: UInt64 = MonotonicClock.now()) throws(MuteError) -> Outcome {
        try apply(requestedAt: requestedAt) { $0.set(muted: muted, source: source, mode: mode) }
    }

    /// Flips the state (a local toggle).
    @discardableResult
    public func toggle(requestedAt: UInt64 = MonotonicClock.now()) throws(MuteError) -> Outcome {
        try apply(requestedAt: requestedAt) { $0.toggle() }
    }

    /// A call's media is about to start: from now on every change goes to it. The current
    /// state is queued first, dated from the beginning, so the first frame already has it.
    public func attach(_ media: CallMedia) {
        owned.withLock { owned in
            let state = owned.machine.state
            media.sendCommands.enqueue(state.muted ? .mute(at: 0, mode: state.mode) : .unmute(at: 0))
            owned.media = media
        }
    }

    /// The call ended: its media no longer takes changes, and the state returns to
    /// `mute.initial` unless it persists across calls.
    public func callEnded(_ media: CallMedia) {
        owned.withLock { if $0.media === media { $0.media = nil } }
        _ = try? apply(requestedAt: MonotonicClock.now(), reason: .callEnded) { $0.callEnded() }
    }

    /// Changes the default mode (SIGHUP reload). A muted line keeps its mode and a live one
    /// sends what it sent, so the media is told nothing.
    public func setDefaultMode(_ mode: MuteMode) {
        owned.withLock { $0.machine.setDefaultMode(mode) }
    }

    /// Waits until the media has applied the command behind `outcome`, and every earlier one.
    /// - Returns: false when the send thread did not take it within `timeout` (it is stuck in
    ///   the audio device; it applies the command before it sends its next frame).
    public func waitUntilApplied(_ outcome: Outcome, timeout: Duration = .milliseconds(250)) async -> Bool {
        guard let (media, sequence) = outcome.pending else { return true }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !media.sendCommands.isApplied(sequence) {
            guard media.isRunning else { return true }  // a stopped call sends nothing more
            guard clock.now < deadline else { return false }
            try? await Task.sleep(for: .microseconds(500))
        }
        return true
    }

    /// Runs one change of the state machine and carries it out in the one order every
    /// listener sees. The machine is changed on a copy and kept only once the media took it.
    private func apply(requestedAt: UInt64, reason: MuteChangeReason? = nil,
                       _ change: (inout MuteStateMachine) -> MuteChange?) throws(MuteError) -> Outcome {
        try owned.withLock { (owned: inout Owned) throws(MuteError) -> Outcome in
            var machine = owned.machine
            let before = machine.state
            let event = change(&machine)
            let after = machine.state
            let changed = event != nil || (after.muted && before.mode != after.mode)
            var pending: (CallMedia, UInt64)?
            if let media = owned.media {
                if changed {
                    let command: MediaCommand = after.muted ? .mute(at: requestedAt, mode: after.mode) : .unmute(at: requestedAt)
                    guard let sequence = media.sendCommands.enqueue(command) else {
                        throw MuteError("the call's media thread is not taking commands (the audio device is stuck); the mute state is unchanged")
                    }
                    pending = (media, sequence)
                } else {
                    // Nothing new: the reply still waits for whatever is queued (a repeated
                    // `mute` is not answered before the first one is applied).
                    pending = (media, media.sendCommands.lastEnqueued)
                }
            }
            owned.machine = machine
            if let event {
                events.publish(.mute(MuteEvent(change: event, state: after, reason: reason)))
                if after.source != .remote { owned.publisher?(after.muted) }
                for observer in owned.observers { observer(after, reason) }
            }
            return Outcome(state: after, changed: changed, pending: pending)
        }
    }
}

/// A mute request the media could not take.
public struct MuteError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
