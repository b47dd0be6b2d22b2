/// Who made the last change to the agent's mute state.
public enum MuteSource: String, Sendable, Codable, CaseIterable {
    /// A local request through the control socket (hotkey, desktop app, script).
    case local
    /// The platform (e.g. a supervisor), learned through REST signaling.
    case remote
    /// The audio device's own mute switch.
    case device
}

/// How a muted microphone is represented on the wire.
public enum MuteMode: String, Sendable, Codable, CaseIterable {
    /// Digital silence is encoded and RTP keeps flowing (libwebrtc, baresip, linphone).
    case silence
    /// No RTP media is sent while muted; RTCP continues (W3C `track.enabled = false`).
    case disable
}

/// The agent's mute state as every listener sees it.
public struct MuteState: Sendable, Equatable, Codable {
    public var muted: Bool
    public var source: MuteSource
    public var mode: MuteMode

    public init(muted: Bool, source: MuteSource, mode: MuteMode) {
        self.muted = muted
        self.source = source
        self.mode = mode
    }
}

/// The event a real change produces (SPEC §3).
public enum MuteChange: String, Sendable, Equatable {
    case mute, unmute, remoteMute, remoteUnmute

    public var muted: Bool { self == .mute || self == .remoteMute }
}

/// The desired mute state and its rules, independent of any I/O.
///
/// * Idempotent: setting the state it already has changes nothing and yields no event.
/// * With no call, changes are kept for the next call (pre-mute).
/// * At call end the state returns to `initial` unless `persistAcrossCalls`.
public struct MuteStateMachine: Sendable, Equatable {
    public private(set) var state: MuteState
    /// The mode applied by a `mute` that names none (`mute.mode`).
    public private(set) var defaultMode: MuteMode
    public let initial: Bool
    public let persistAcrossCalls: Bool

    public init(initial: Bool = false, mode: MuteMode = .silence, persistAcrossCalls: Bool = false) {
        self.initial = initial
        self.defaultMode = mode
        self.persistAcrossCalls = persistAcrossCalls
        self.state = MuteState(muted: initial, source: .local, mode: mode)
    }

    /// Sets the desired state.
    /// - Parameters:
    ///   - muted: the new desired state.
    ///   - source: who asked.
    ///   - mode: the mode for a mute; `nil` keeps the configured default. A mode given while
    ///     already muted switches the mode without an event (the line stays muted).
    /// - Returns: the event to emit, or `nil` when nothing changed.
    @discardableResult
    public mutating func set(muted: Bool, source: MuteSource, mode: MuteMode? = nil) -> MuteChange? {
        if muted, let mode { state.mode = mode }
        guard state.muted != muted else { return nil }
        // A mute without a mode uses the configured one; an unmute returns to it, so the
        // mode shown while live is the one the next mute will use.
        if mode == nil || !muted { state.mode = defaultMode }
        state.muted = muted
        state.source = source
        switch (muted, source) {
        case (true, .remote): return .remoteMute
        case (false, .remote): return .remoteUnmute
        case (true, _): return .mute
        case (false, _): return .unmute
        }
    }

    /// Flips the state (a local toggle always changes something).
    public mutating func toggle(source: MuteSource = .local) -> MuteChange {
        set(muted: !state.muted, source: source)!
    }

    /// Changes the configured default mode (SIGHUP reload). A muted line keeps its mode.
    public mutating func setDefaultMode(_ mode: MuteMode) {
        defaultMode = mode
        if !state.muted { state.mode = mode }
    }

    /// The call ended: back to `initial` unless the state persists across calls.
    /// - Returns: the event when the reset changed the state (a local change).
    @discardableResult
    public mutating func callEnded() -> MuteChange? {
        guard !persistAcrossCalls else { return nil }
        return set(muted: initial, source: .local)
    }
}
