/// Result of `status`, and of `mute`, `unmute` and `toggle`.
///
/// `call` is always present on the wire: `null` when no call is active.
public struct StatusResult: Sendable, Hashable, Codable {
    public var muted: Bool
    public var source: MuteSource
    public var mode: MuteMode
    public var call: CallInfo?
    public var signaling: SignalingInfo
    public var stats: StatsInfo
    /// The capture device's mixer switch and whether it is kept in step (absent from
    /// daemons that predate it).
    public var device: DeviceInfo?
    /// The SIP line (absent when SIP is not enabled).
    public var sip: SIPInfo?

    public init(
        muted: Bool, source: MuteSource, mode: MuteMode, call: CallInfo?,
        signaling: SignalingInfo, stats: StatsInfo, device: DeviceInfo? = nil, sip: SIPInfo? = nil
    ) {
        self.muted = muted
        self.source = source
        self.mode = mode
        self.call = call
        self.signaling = signaling
        self.stats = stats
        self.device = device
        self.sip = sip
    }

    private enum CodingKeys: String, CodingKey {
        case muted, source, mode, call, signaling, stats, device, sip
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        muted = try container.decode(Bool.self, forKey: .muted)
        source = try container.decode(MuteSource.self, forKey: .source)
        mode = try container.decode(MuteMode.self, forKey: .mode)
        call = try container.decodeIfPresent(CallInfo.self, forKey: .call)
        signaling = try container.decode(SignalingInfo.self, forKey: .signaling)
        stats = try container.decode(StatsInfo.self, forKey: .stats)
        device = try container.decodeIfPresent(DeviceInfo.self, forKey: .device)
        sip = try container.decodeIfPresent(SIPInfo.self, forKey: .sip)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(muted, forKey: .muted)
        try container.encode(source, forKey: .source)
        try container.encode(mode, forKey: .mode)
        // Written as an explicit null so clients can rely on the member being there.
        if let call {
            try container.encode(call, forKey: .call)
        } else {
            try container.encodeNil(forKey: .call)
        }
        try container.encode(signaling, forKey: .signaling)
        try container.encode(stats, forKey: .stats)
        try container.encodeIfPresent(device, forKey: .device)
        try container.encodeIfPresent(sip, forKey: .sip)
    }
}
