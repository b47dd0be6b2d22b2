/// The audio codecs softphoned speaks.
public enum AudioCodec: String, Sendable, CaseIterable {
    case opus, pcmu, pcma, g722

    /// The rtpmap encoding name: "opus", "PCMU", "PCMA", "G722".
    public var encodingName: String {
        switch self {
        case .opus: "opus"
        case .pcmu: "PCMU"
        case .pcma: "PCMA"
        case .g722: "G722"
        }
    }

    /// RTP timestamp clock: 48000 for Opus, 8000 for PCMU/PCMA and G722 (RFC 3551 §4.5.2:
    /// G.722's clock is 8000 though it samples at 16 kHz).
    public var rtpClockRate: Int {
        self == .opus ? 48000 : 8000
    }

    /// The codec's own sample rate: 48000, 8000, 8000, 16000.
    public var sampleRate: Int {
        switch self {
        case .opus: 48000
        case .pcmu, .pcma: 8000
        case .g722: 16000
        }
    }

    /// RFC 3551 static payload type: nil, 0, 8, 9.
    public var staticPayloadType: UInt8? {
        switch self {
        case .opus: nil
        case .pcmu: 0
        case .pcma: 8
        case .g722: 9
        }
    }

    /// Parses a configuration name (`opus`, `pcmu`, `pcma`, `g722`, case-insensitive) —
    /// returns nil otherwise: no trimming, no aliases such as `g711u`, so a typo in
    /// `media.codecs` is an error rather than a codec silently dropped.
    public init?(configurationName: String) {
        guard let codec = AudioCodec(rawValue: configurationName.lowercased()) else { return nil }
        self = codec
    }

    /// The `a=rtpmap` value softphoned writes for the codec at `payloadType`.
    func rtpmap(payloadType: UInt8) -> String {
        self == .opus ? "\(payloadType) opus/48000/2" : "\(payloadType) \(encodingName)/\(rtpClockRate)"
    }

    /// Whether `map` names this codec: encoding (any letter case) and RTP clock, and a
    /// channel count the codec has (RFC 7587 §7: Opus is always `/2`; G.711 and G.722 mono).
    func isDescribed(by map: RTPMap) -> Bool {
        if self == .opus { return map.isOpus }
        return map.encoding.equalsIgnoringCase(encodingName) && map.clockRate == rtpClockRate
            && (map.channels == nil || map.channels == 1)
    }

    /// The codec an RFC 3551 static payload type stands for without an `a=rtpmap`.
    static func statically(_ payloadType: UInt8) -> AudioCodec? {
        allCases.first { $0.staticPayloadType == payloadType }
    }
}
