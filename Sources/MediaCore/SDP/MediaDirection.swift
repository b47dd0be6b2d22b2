/// The RFC 3264 §6.1 direction of a media stream, always from the point of view of the
/// side that wrote it (or, in `NegotiatedMedia`, of softphoned).
public enum MediaDirection: String, Sendable, CaseIterable, Codable {
    case sendrecv
    case sendonly
    case recvonly
    case inactive

    /// Whether this side sends media.
    public var sends: Bool { self == .sendrecv || self == .sendonly }

    /// Whether this side expects to receive media.
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    /// The same stream seen from the other side: what one side sends the other receives.
    public var reversed: MediaDirection {
        switch self {
        case .sendrecv: .sendrecv
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .inactive: .inactive
        }
    }

    /// The direction that does only what both allow.
    public func intersection(_ other: MediaDirection) -> MediaDirection {
        MediaDirection(sends: sends && other.sends, receives: receives && other.receives)
    }

    /// Builds a direction from its two halves.
    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }
}
