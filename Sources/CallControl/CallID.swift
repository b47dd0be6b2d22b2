/// A call's handle: one per call attempt (an offer, an incoming offer, a static call), so a
/// front end can name the call it means (a SIP dialog, a CANCEL) and late events of an
/// ended call are told apart from the current one's.
public struct CallID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: CallID, rhs: CallID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "call-\(rawValue)" }
}
