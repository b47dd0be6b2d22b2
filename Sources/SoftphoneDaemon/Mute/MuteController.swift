import ControlProtocol
import ControlServer
import MediaCore
import MediaEngine
import Synchronization

/// The one owner of the agent's mute state.
///
/// A change is applied in this order, under one lock so every listener sees one order:
/// the state machine, the media (an atomic the media thread reads at the next frame),
/// the event to every subscriber, then the platform (non-blocking hand-off). Replies to
/// `mute` are written only after this returns, which is what makes the privacy guarantee
/// hold: the gate cuts at the request's arrival time, and the reply comes after.
public final class MuteController: Sendable {
    public let signal: MuteSignal
    private let machine: Mutex<MuteStateMachine>
    private let events: EventBus
    /// Hands the desired state to the platform (set once signaling exists).
    private let publisher = Mutex<(@Sendable (Bool) -> Void)?>(nil)
    /// Told of each real change, in the one order, with the new state and the reason
    /// (`callEnded` for the reset at call end): the capture device's switch follows.
    private let observer = Mutex<(@Sendable (MuteState, String?) -> Void)?>(nil)

    public init(initial: Bool, mode: MuteMode, persistAcrossCalls: Bool, events: EventBus) {
        machine = Mutex(MuteStateMachine(initial: initial, mode: mode, persistAcrossCalls: persistAcrossCalls))
        signal = MuteSignal(muted: initial, mode: mode)
        self.events = events
    }

    /// Where local changes go upstream (REST signaling).
    public func setPublisher(_ publish: @escaping @Sendable (Bool) -> Void) {
        publisher.withLock { $0 = publish }
    }

    /// Who follows every real change (the capture device's mixer switch); called in the
    /// controller's order, so must not block.
    public func setObserver(_ observe: @escaping @Sendable (MuteState, String?) -> Void) {
        observer.withLock { $0 = observe }
    }

    public var state: MuteState { machine.withLock { $0.state } }

    /// Sets the desired state.
    /// - Parameters:
    ///   - requestedAt: when the request arrived (monotonic ns); the gate cuts there.
    /// - Returns: the state after the change, and whether anything changed.
    @discardableResult
    public func set(muted: Bool, source: MuteSource, mode: MuteMode? = nil,
                    requestedAt: UInt64 = MonotonicClock.now()) -> (state: MuteState, changed: Bool) {
        apply(requestedAt: requestedAt) { $0.set(muted: muted, source: source, mode: mode) }
    }

    /// Flips the state (a local toggle).
    @discardableResult
    public func toggle(requestedAt: UInt64 = MonotonicClock.now()) -> MuteState {
        apply(requestedAt: requestedAt) { $0.toggle() }.state
    }

    /// The call ended: back to `mute.initial` unless the state persists across calls.
    public func callEnded() {
        apply(requestedAt: MonotonicClock.now(), reason: "callEnded") { $0.callEnded() }
    }

    /// Runs one change of the state machine and carries it out in the one order every
    /// listener sees: the media (if the state or its mode changed), the event, then — for a
    /// change that did not come from the platform — the platform.
    @discardableResult
    private func apply(requestedAt: UInt64, reason: String? = nil,
                       _ change: (inout MuteStateMachine) -> MuteChange?) -> (state: MuteState, changed: Bool) {
        let (state, event, modeChanged) = machine.withLock { machine in
            let before = machine.state
            let event = change(&machine)
            let after = machine.state
            if event != nil || before.mode != after.mode {
                signal.publish(muted: after.muted, mode: after.mode, requestedAt: requestedAt)
            }
            if let event {
                publishEvent(event, state: after, reason: reason)
                observer.withLock { $0 }?(after, reason)
            }
            return (after, event, before.mode != after.mode)
        }
        if event != nil, state.source != .remote {
            let publish = publisher.withLock { $0 }
            publish?(state.muted)
        }
        return (state, event != nil || modeChanged)
    }

    /// Changes the default mode (SIGHUP reload); a muted line keeps its mode.
    public func setDefaultMode(_ mode: MuteMode) {
        machine.withLock { machine in
            machine.setDefaultMode(mode)
            signal.publish(muted: machine.state.muted, mode: machine.state.mode)
        }
    }

    private func publishEvent(_ change: MuteChange, state: MuteState, reason: String? = nil) {
        var fields: [String: JSONValue] = [
            "muted": .bool(state.muted), "source": .string(state.source.rawValue), "mode": .string(state.mode.rawValue),
        ]
        if let reason { fields["reason"] = .string(reason) }
        events.publish(type: ControlEventType(rawValue: change.rawValue)!, fields: fields)
    }
}
