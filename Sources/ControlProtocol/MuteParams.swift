/// How mute is applied to the media (SPEC §3).
public enum MuteMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Samples replaced by digital silence; RTP keeps flowing.
    case silence
    /// No RTP media while muted; RTCP continues.
    case disable
}

/// Who made the last mute change.
public enum MuteSource: String, Sendable, Hashable, CaseIterable, Codable {
    case local
    case remote
    case device
}

/// Params of `mute`: `{"mode"?: "silence"|"disable"}`.
public struct MuteParams: Sendable, Hashable, Codable {
    public var mode: MuteMode?

    public init(mode: MuteMode? = nil) {
        self.mode = mode
    }
}
