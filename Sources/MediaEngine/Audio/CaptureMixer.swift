import CALSA
import Foundation
import Synchronization

/// What a `CaptureMixer` reports, on its own thread.
public enum CaptureMixerEvent: Sendable, Equatable {
    /// The mixer is open. `element` is the simple control whose capture switch is followed
    /// (`nil`, and `switchOn` `nil`, when the device has no capture switch).
    case attached(element: String?, switchOn: Bool?)
    /// Someone else turned the capture switch on or off: the desktop's microphone-mute key,
    /// the sound server's source mute, a headset's own button. Never reported for the
    /// mixer's own `setSwitch`.
    case switchChanged(on: Bool)
    /// The mixer went away (a USB headset unplugged, the sound server gone) or failed;
    /// it is re-opened when it comes back.
    case detached(reason: String)
}

/// What a `CaptureMixer` is doing, for `status`.
public struct CaptureMixerState: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable {
        /// Not opened yet.
        case starting
        /// Open and following a capture switch.
        case attached
        /// Open, but the device has no capture switch: it is used as is.
        case noSwitch
        /// Cannot be opened or went away; being retried.
        case unavailable
    }

    public var phase: Phase
    /// The simple control followed, e.g. `Capture`, `Mic`.
    public var element: String?
    /// The switch as last seen or set (`true` = capturing, `false` = muted).
    public var switchOn: Bool?
    /// Why the mixer is unavailable.
    public var error: String?

    public init(phase: Phase, element: String? = nil, switchOn: Bool? = nil, error: String? = nil) {
        self.phase = phase
        self.element = element
        self.switchOn = switchOn
        self.error = error
    }
}

/// The capture switch of an ALSA mixer (a sound card's `hw:N`, or the `pulse` control that maps
/// to the sound server's default source mute), watched and set on a thread of its own.
///
/// The thread blocks in `poll()` on the mixer's descriptors and an eventfd that carries
/// requests (`setSwitch`, `refresh`, `stop`), so a switch change is seen the moment the
/// driver or the sound server announces it, with no timer. Only while the mixer cannot be
/// opened does the thread wake on a timer, to try again. Nothing here runs on, or waits for,
/// the media thread.
///
/// Echoes are impossible by construction: the thread remembers the switch value it agrees
/// with (the last it saw or set), and reports only a value that differs from it, so the
/// notification of its own write is never taken for a change made by someone else.
public final class CaptureMixer: Sendable {
    /// The ALSA control name opened (`hw:1`, `pulse`, `default`).
    public let name: String
    private let retryNanoseconds: UInt64
    private let wakeFD: Int32
    private let requests = Mutex(Requests())
    private let current = Mutex(CaptureMixerState(phase: .starting))
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    /// Signalled once the first attempt to open the mixer is over, however it went.
    private let firstAttempt = DispatchSemaphore(value: 0)

    struct Requests {
        /// The switch value the daemon wants; the latest request replaces an unapplied one.
        var desired: Bool?
        var refresh = false
        var stop = false
    }

    /// Prepares the mixer (nothing is opened until `start`).
    /// - Parameters:
    ///   - name: the ALSA control to open, e.g. `hw:1`, `hw:CARD=Headset`, `pulse`, `default`.
    ///   - retryInterval: how long to wait before re-opening a mixer that is unavailable.
    /// - Throws: `SystemCallError` when the wake-up descriptor cannot be made.
    public init(name: String, retryInterval: Duration = .seconds(1)) throws(SystemCallError) {
        self.name = name
        let (seconds, attoseconds) = retryInterval.components
        retryNanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        let fd = softphoned_wake_fd()
        if fd < 0 { throw SystemCallError(call: "eventfd", errno: errno) }
        wakeFD = fd
    }

    /// The thread holds the mixer while it runs, so this runs only once it has stopped.
    deinit { close(wakeFD) }

    /// Starts the mixer's thread, which opens the mixer and reports `attached` or `detached`.
    /// - Parameters:
    ///   - onEvent: called on the mixer's thread, in order; must not block for long.
    public func start(onEvent: @escaping @Sendable (CaptureMixerEvent) -> Void) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // At the media threads' priority: a switch turned off must reach the gate within a
        // frame even on a busy machine.
        MediaThread.start(name: "sp-mixer", scheduling: MediaThreadScheduling()) { [self] in
            var loop = MixerLoop(mixer: self, onEvent: onEvent)
            loop.run()
            finished.signal()
        }
    }

    /// Stops the thread and closes the mixer (the switch is left as it is). Idempotent.
    public func stop() {
        guard started.load(ordering: .acquiring) else { return }
        let first = requests.withLock { requests in
            defer { requests.stop = true }
            return !requests.stop
        }
        guard first else { return }
        wake()
        finished.wait()
    }

    /// Sets the capture switch (`false` mutes the device) from the mixer's thread; returns at once.
    /// A request not yet applied is replaced by a newer one.
    public func setSwitch(_ on: Bool) {
        requests.withLock { $0.desired = on }
        wake()
    }

    /// Drops a `setSwitch` request not yet applied (the switch itself already says what the
    /// daemon now wants, as after a change that came from the switch).
    public func cancelPendingSwitch() {
        requests.withLock { $0.desired = nil }
    }

    /// Re-reads the mixer, which also notices a sound server connection that died quietly.
    public func refresh() {
        requests.withLock { $0.refresh = true }
        wake()
    }

    public var state: CaptureMixerState { current.withLock { $0 } }

    /// Waits until the first attempt to open the mixer is over (at most `timeout` seconds).
    /// - Returns: false at the timeout.
    @discardableResult
    public func waitUntilOpened(timeout: Double) -> Bool {
        guard current.withLock({ $0.phase == .starting }) else { return true }
        guard firstAttempt.wait(timeout: .now() + timeout) == .success else { return false }
        firstAttempt.signal()
        return true
    }

    fileprivate func wakeUp() { wake() }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Takes the requests made since the last call.
    /// - Parameters:
    ///   - keepingSwitch: leaves a `setSwitch` request for later (while the mixer is gone, so it
    ///     is applied once the mixer is back).
    fileprivate func takeRequests(keepingSwitch: Bool = false) -> Requests {
        var drained: UInt64 = 0
        _ = read(wakeFD, &drained, 8)
        return requests.withLock { requests in
            let taken = requests
            if !keepingSwitch { requests.desired = nil }
            requests.refresh = false
            return taken
        }
    }

    /// True while a `setSwitch` request waits to be applied.
    fileprivate var hasPendingSwitch: Bool { requests.withLock { $0.desired != nil } }

    fileprivate func setState(_ state: CaptureMixerState) {
        let first = current.withLock { current in
            defer { current = state }
            return current.phase == .starting
        }
        if first { firstAttempt.signal() }
    }

    fileprivate var wakeDescriptor: Int32 { wakeFD }
    fileprivate var retryInterval: UInt64 { retryNanoseconds }
}

/// Why a mixer call failed.
struct MixerError: Error, CustomStringConvertible {
    let description: String
    init(_ call: String, _ code: Int32) { description = "\(call): \(String(cString: snd_strerror(code)))" }
    init(_ description: String) { self.description = description }
}

/// The mixer's thread: owns the `snd_mixer_t` and everything read from it.
private struct MixerLoop {
    let mixer: CaptureMixer
    let onEvent: @Sendable (CaptureMixerEvent) -> Void
    var handle: OpaquePointer?
    var element: OpaquePointer?
    var elementName: String?
    /// The switch value the thread agrees with: the last it saw or set.
    var known: Bool?
    /// A failure was already reported (report each outage once).
    var reportedDown = false
    /// Failed attempts to open the mixer since it went away.
    var failures = 0

    init(mixer: CaptureMixer, onEvent: @escaping @Sendable (CaptureMixerEvent) -> Void) {
        self.mixer = mixer
        self.onEvent = onEvent
    }

    func publish(_ state: CaptureMixerState, event: CaptureMixerEvent?) {
        mixer.setState(state)
        if let event { onEvent(event) }
    }

    mutating func run() {
        // An absent mixer is retried: alsa-lib's message for each attempt would flood the
        // journal, and the failure is reported once, with its error, as `detached`.
        softphoned_alsa_quiet_on_this_thread()
        while true {
            if handle == nil {
                do {
                    try attach()
                } catch {
                    if !reportedDown {
                        failures = 0
                        reportedDown = true
                        publish(CaptureMixerState(phase: .unavailable, error: error.description),
                                event: .detached(reason: error.description))
                    }
                    // Tried again after the retry interval (doubling up to 8 times it while the
                    // mixer stays away), or at once on a request.
                    if waitForRequests(timeoutNanoseconds: mixer.retryInterval << min(failures, 3)) { return }
                    failures += 1
                    continue
                }
            }
            if pollOnce() { break }
        }
        detach()
    }

    /// Waits on the wake descriptor alone (while the mixer is unavailable).
    /// - Returns: true when asked to stop.
    mutating func waitForRequests(timeoutNanoseconds: UInt64) -> Bool {
        var revents: UInt16 = 0
        var woken: Int32 = 0
        _ = softphoned_mixer_wait(nil, mixer.wakeDescriptor, Int32(timeoutNanoseconds / 1_000_000), &revents, &woken)
        return mixer.takeRequests(keepingSwitch: true).stop
    }

    /// One wait for the mixer or a request.
    /// - Returns: true when asked to stop.
    mutating func pollOnce() -> Bool {
        guard let handle else { return false }
        var revents: UInt16 = 0
        var woken: Int32 = 0
        let ready = softphoned_mixer_wait(handle, mixer.wakeDescriptor, -1, &revents, &woken)
        if ready == -EINTR { return false }
        // The mixer first: a change someone made is reported before a pending request is
        // applied, so a request made before the daemon heard of it cannot undo it.
        if ready < 0 {
            lost(MixerError("waiting for the mixer", ready))
        } else if revents & UInt16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            lost(MixerError("the mixer went away"))
        } else if revents & UInt16(POLLIN) != 0 {
            handleEvents()
        }
        guard woken != 0 else { return false }
        // A switch request that finds the mixer just lost waits for it to come back.
        let requests = mixer.takeRequests(keepingSwitch: self.handle == nil)
        if requests.stop { return true }
        if requests.refresh, self.handle != nil { handleEvents() }
        if let desired = requests.desired, self.handle != nil { apply(desired) }
        return false
    }

    /// Opens the mixer, picks the capture switch, reports `attached`.
    mutating func attach() throws(MixerError) {
        var opened: OpaquePointer?
        var rc = snd_mixer_open(&opened, 0)
        guard rc >= 0, let opened else { throw MixerError("snd_mixer_open", rc) }
        rc = snd_mixer_attach(opened, mixer.name)
        if rc < 0 {
            snd_mixer_close(opened)
            throw MixerError("cannot open mixer \(mixer.name) (snd_mixer_attach)", rc)
        }
        rc = snd_mixer_selem_register(opened, nil, nil)
        if rc >= 0 { rc = snd_mixer_load(opened) }
        if rc < 0 {
            snd_mixer_close(opened)
            throw MixerError("cannot load mixer \(mixer.name) (snd_mixer_load)", rc)
        }
        handle = opened
        element = Self.captureSwitch(in: opened)
        elementName = element.map { String(cString: snd_mixer_selem_get_name($0)) }
        known = readSwitch()
        reportedDown = false
        publish(currentState, event: .attached(element: elementName, switchOn: known))
        // A switch request that waited for the mixer is applied now.
        if mixer.hasPendingSwitch { mixer.wakeUp() }
    }

    /// The control whose capture switch stands for "the microphone is muted": `Capture`
    /// (sound servers, most cards), else the first one with a capture switch (`Mic`, `Headset`…).
    static func captureSwitch(in handle: OpaquePointer) -> OpaquePointer? {
        var candidates: [OpaquePointer] = []
        var element = snd_mixer_first_elem(handle)
        while let current = element {
            if snd_mixer_selem_is_active(current) != 0, snd_mixer_selem_has_capture_switch(current) != 0 {
                candidates.append(current)
            }
            element = snd_mixer_elem_next(current)
        }
        return candidates.first { String(cString: snd_mixer_selem_get_name($0)) == "Capture" } ?? candidates.first
    }

    var currentState: CaptureMixerState {
        guard element != nil else { return CaptureMixerState(phase: .noSwitch) }
        return CaptureMixerState(phase: .attached, element: elementName, switchOn: known)
    }

    func readSwitch() -> Bool? {
        guard let element else { return nil }
        var value: Int32 = 0
        guard snd_mixer_selem_get_capture_switch(element, softphoned_mixer_first_channel(), &value) >= 0 else { return nil }
        return value != 0
    }

    /// Takes the mixer's pending events and reports a switch value nobody here set.
    mutating func handleEvents() {
        guard let handle else { return }
        let rc = snd_mixer_handle_events(handle)
        if rc < 0 {
            lost(MixerError("snd_mixer_handle_events", rc))
            return
        }
        if element.map({ !Self.mixer(handle, contains: $0) }) ?? true {
            // The control went away (a driver or an application removed it) or, on a mixer
            // without one, a capture switch appeared: choose again before touching it.
            let chosen = Self.captureSwitch(in: handle)
            if chosen != nil || element != nil {
                element = chosen
                elementName = chosen.map { String(cString: snd_mixer_selem_get_name($0)) }
                known = readSwitch()
                publish(currentState, event: .attached(element: elementName, switchOn: known))
            }
            return
        }
        guard let value = readSwitch(), value != known else { return }
        known = value
        publish(currentState, event: .switchChanged(on: value))
    }

    /// Whether `element` is still one of the mixer's (compared by address, never dereferenced).
    static func mixer(_ handle: OpaquePointer, contains element: OpaquePointer) -> Bool {
        var current = snd_mixer_first_elem(handle)
        while let next = current {
            if next == element { return true }
            current = snd_mixer_elem_next(next)
        }
        return false
    }

    /// Sets the switch to what the daemon wants, unless it already is.
    mutating func apply(_ desired: Bool) {
        guard let element else { return }
        if readSwitch() == desired {
            known = desired
            publish(currentState, event: nil)
            return
        }
        let rc = snd_mixer_selem_set_capture_switch_all(element, desired ? 1 : 0)
        if rc < 0 {
            lost(MixerError("cannot set the capture switch (snd_mixer_selem_set_capture_switch_all)", rc))
            return
        }
        known = desired
        publish(currentState, event: nil)
    }

    /// The mixer failed: close it, report once, and let `run` retry.
    mutating func lost(_ error: MixerError) {
        detach()
        reportedDown = true
        failures = 0
        publish(CaptureMixerState(phase: .unavailable, error: error.description), event: .detached(reason: error.description))
    }

    mutating func detach() {
        if let handle { snd_mixer_close(handle) }
        handle = nil
        element = nil
        elementName = nil
        known = nil
    }
}
