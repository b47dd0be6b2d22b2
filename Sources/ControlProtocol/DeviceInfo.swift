/// Whether the capture device's mixer switch and the daemon's mute state are kept equal.
public enum DeviceSyncState: String, Sendable, Hashable, CaseIterable, Codable {
    /// In step: the switch follows the daemon and the daemon follows the switch.
    case active
    /// The mixer is open but has no capture switch: the device is used as is.
    case noSwitch = "no-switch"
    /// The mixer cannot be opened or went away (`error` says why); retried until it is back.
    case unavailable
    /// `mute.sync-device: false`.
    case disabled
    /// The microphone is not an ALSA device (`tone:`, `file:`) and no `audio.mixer` is set.
    case none
}

/// The `device` member of `status`: the capture device's mixer switch (SPEC §3 point 6).
public struct DeviceInfo: Sendable, Hashable, Codable {
    /// The ALSA mixer followed, e.g. `pulse`, `hw:1`.
    public var mixer: String?
    /// The simple control whose capture switch is followed, e.g. `Capture`, `Mic`.
    public var element: String?
    /// The switch as last seen or set (`false` = the device is muted); `null` when there is none.
    public var `switch`: Bool?
    public var sync: DeviceSyncState
    public var error: String?

    public init(mixer: String?, element: String? = nil, switch: Bool? = nil, sync: DeviceSyncState, error: String? = nil) {
        self.mixer = mixer
        self.element = element
        self.switch = `switch`
        self.sync = sync
        self.error = error
    }

    private enum CodingKeys: String, CodingKey {
        case mixer, element, `switch`, sync, error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mixer = try container.decodeIfPresent(String.self, forKey: .mixer)
        element = try container.decodeIfPresent(String.self, forKey: .element)
        `switch` = try container.decodeIfPresent(Bool.self, forKey: .switch)
        sync = try container.decode(DeviceSyncState.self, forKey: .sync)
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(mixer, forKey: .mixer)
        try container.encodeIfPresent(element, forKey: .element)
        // An explicit null: "no switch" is an answer, not a missing member.
        if let value = `switch` { try container.encode(value, forKey: .switch) } else { try container.encodeNil(forKey: .switch) }
        try container.encode(sync, forKey: .sync)
        try container.encodeIfPresent(error, forKey: .error)
    }
}
