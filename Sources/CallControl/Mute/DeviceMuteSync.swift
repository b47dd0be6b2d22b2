import Logging
import MediaCore
import MediaEngine
import Synchronization

/// Keeps the capture device's mixer switch and the daemon's mute state equal, both ways
/// (SPEC §3 point 6, `mute.sync-device`).
///
/// * The switch turned off (the desktop's microphone-mute key, the sound server's source
///   mute, a headset's button) mutes with `source: device`, through `MuteController` like
///   any other change, so the media, the events and the platform follow in the one order.
/// * Every other real change (control socket, platform) sets the switch, so the desktop's
///   indicator and the headset's LED show the truth.
/// * The reset at call end does not touch the switch: between calls it stays as the agent
///   set it, and the next call starts muted when it is off.
/// * When the two disagree at call start (or when the mixer comes back during a call),
///   muted wins: a switch that is off mutes the call, a muted call turns the switch off.
public final class DeviceMuteSync: Sendable {
    /// The mixer followed; `nil` when there is none or syncing is off.
    public let mixerName: String?
    private let enabled: Bool
    private let mixer: CaptureMixer?
    private let mute: MuteController
    private let events: CallEventHub
    private let logger: Logger
    private let inCall = Atomic<Bool>(false)
    /// The mixer was reported unavailable (a `deviceRecovered` is due when it is back).
    private let down = Atomic<Bool>(false)

    /// - Parameters:
    ///   - enabled: `mute.sync-device`.
    ///   - mixerName: the capture device's mixer (nil: none, or syncing is off).
    /// - Throws: `SystemCallError` when the mixer's thread cannot be set up.
    public init(enabled: Bool, mixerName: String?, mute: MuteController, events: CallEventHub, logger: Logger,
                retryInterval: Duration = .seconds(1)) throws(SystemCallError) {
        self.enabled = enabled
        self.mixerName = mixerName
        mixer = try mixerName.map { name throws(SystemCallError) in try CaptureMixer(name: name, retryInterval: retryInterval) }
        self.mute = mute
        self.events = events
        self.logger = logger
    }

    /// Opens the mixer on its own thread and starts following both ways.
    public func start() {
        guard let mixer else { return }
        mute.addObserver { [self] state, reason in follow(state, reason: reason) }
        mixer.start { [self] event in handle(event) }
    }

    /// Stops the mixer's thread (the switch is left as it is).
    public func stop() { mixer?.stop() }

    /// A call is about to start: the call takes the switch's state into account before its
    /// first frame (a call started with the desktop's microphone muted starts muted).
    public func callStarting() {
        inCall.store(true, ordering: .relaxed)
        guard let mixer else { return }
        // Normally open long before; at launch with a static call, the first attempt is
        // awaited briefly so the first frame already knows.
        mixer.waitUntilOpened(timeout: 0.5)
        let state = mixer.state
        if state.phase == .attached { reconcile(switchOn: state.switchOn, pushing: true) }
        // A sound server connection that died quietly is noticed now, not at the next mute.
        mixer.refresh()
    }

    /// The call ended: from now on the switch is left as the agent sets it.
    public func callEnded() {
        inCall.store(false, ordering: .relaxed)
    }

    /// Whether, and how, the switch is followed now.
    public var status: DeviceSyncStatus {
        guard enabled else { return DeviceSyncStatus(mixer: nil, sync: .disabled) }
        guard let mixer else { return DeviceSyncStatus(mixer: nil, sync: .none) }
        let state = mixer.state
        switch state.phase {
        case .attached:
            return DeviceSyncStatus(mixer: mixer.name, element: state.element, switchOn: state.switchOn, sync: .active)
        case .noSwitch:
            return DeviceSyncStatus(mixer: mixer.name, sync: .noSwitch)
        case .starting:
            return DeviceSyncStatus(mixer: mixer.name, sync: .unavailable, error: "not opened yet")
        case .unavailable:
            return DeviceSyncStatus(mixer: mixer.name, sync: .unavailable, error: state.error)
        }
    }

    /// A real change of the mute state, in the controller's order.
    private func follow(_ state: MuteState, reason: MuteChangeReason?) {
        guard let mixer, reason != .callEnded else { return }
        if state.source == .device {
            // The switch already says so; a request made before this change must not undo it.
            mixer.cancelPendingSwitch()
        } else {
            mixer.setSwitch(!state.muted)
        }
    }

    /// What the mixer's thread saw.
    private func handle(_ event: CaptureMixerEvent) {
        guard let name = mixerName else { return }
        switch event {
        case .attached(let element, let switchOn):
            if down.exchange(false, ordering: .relaxed) {
                logger.notice("capture mixer is back", metadata: ["mixer": "\(name)"])
                events.publish(.device(.recovered(device: name, mixer: name)))
            }
            if let element {
                logger.info("following the capture switch", metadata: ["mixer": "\(name)", "element": "\(element)",
                                                                       "switch": "\(switchOn.map { $0 ? "on" : "off" } ?? "?")"])
            } else {
                logger.notice("the capture device has no mixer capture switch; it is used as is", metadata: ["mixer": "\(name)"])
            }
            reconcile(switchOn: switchOn, pushing: inCall.load(ordering: .relaxed))
        case .switchChanged(let on):
            do {
                try mute.set(muted: !on, source: .device, requestedAt: MonotonicClock.now())
            } catch {
                logger.error("the capture switch changed but the call's media is not taking commands",
                             metadata: ["mixer": "\(name)", "switch": "\(on ? "on" : "off")", "error": "\(error)"])
            }
        case .detached(let reason):
            down.store(true, ordering: .relaxed)
            logger.warning("capture mixer unavailable; retrying", metadata: ["mixer": "\(name)", "error": "\(reason)"])
            events.publish(.device(.error(reason, mixer: name)))
        }
    }

    /// Makes the two agree where they differ, muted winning.
    /// - Parameters:
    ///   - pushing: also turn the switch off for a muted daemon (during a call; between
    ///     calls the switch is left as it is).
    private func reconcile(switchOn: Bool?, pushing: Bool) {
        guard let switchOn, let mixer else { return }
        let muted = mute.state.muted
        if !switchOn && !muted {
            // Before the call's media is attached (call start) or between calls: cannot fail;
            // during a call, a wedged media thread refuses it and the switch stays as it is.
            _ = try? mute.set(muted: true, source: .device)
        } else if switchOn && muted && pushing {
            mixer.setSwitch(false)
        }
    }
}

/// Whether the capture switch is followed, as `DeviceMuteSync` reports it.
public struct DeviceSyncStatus: Sendable, Equatable {
    public enum Sync: Sendable, Equatable {
        /// Followed both ways.
        case active
        /// The device has no capture switch; it is used as is.
        case noSwitch
        /// The mixer cannot be opened (retried).
        case unavailable
        /// `mute.sync-device: false`.
        case disabled
        /// No mixer to follow.
        case none
    }

    public var mixer: String?
    public var element: String?
    /// The switch's position (on: capturing); nil when unknown or absent.
    public var switchOn: Bool?
    public var sync: Sync
    public var error: String?

    public init(mixer: String?, element: String? = nil, switchOn: Bool? = nil, sync: Sync, error: String? = nil) {
        self.mixer = mixer
        self.element = element
        self.switchOn = switchOn
        self.sync = sync
        self.error = error
    }
}
