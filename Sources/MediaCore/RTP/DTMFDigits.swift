/// The digits of a `call.dtmf` request, checked: RFC 4733 event codes and one duration.
public struct DTMFDigits: Sendable, Equatable {
    /// The event codes in order (0–15).
    public let events: [UInt8]
    /// How long each digit sounds.
    public let durationMilliseconds: Int

    /// 100 ms tones with 70 ms gaps: what desk phones send and IVRs expect.
    public static let defaultDurationMilliseconds = 100
    public static let gapMilliseconds = 70
    public static let durations = 40...2000
    /// More than any IVR or conference code needs, and far below the media queue's room.
    public static let maximumCount = 64

    /// - Throws: `DTMFDigitsError` naming the first digit or value that cannot be sent.
    public init(_ digits: String, durationMs: Int?) throws(DTMFDigitsError) {
        guard !digits.isEmpty else { throw DTMFDigitsError("digits is empty; give one or more of 0-9, *, #, A-D") }
        var events: [UInt8] = []
        for digit in digits {
            guard let event = TelephoneEvent.event(for: digit) else {
                throw DTMFDigitsError("digits: '\(digit)' is not a DTMF digit; use 0-9, *, #, A-D")
            }
            events.append(event)
            guard events.count <= Self.maximumCount else {
                throw DTMFDigitsError("digits: at most \(Self.maximumCount) digits per request")
            }
        }
        let duration = durationMs ?? Self.defaultDurationMilliseconds
        guard Self.durations.contains(duration) else {
            throw DTMFDigitsError("durationMs \(duration) is outside \(Self.durations.lowerBound)…\(Self.durations.upperBound)")
        }
        self.events = events
        durationMilliseconds = duration
    }
}

/// Why a `call.dtmf` request cannot be sent.
public struct DTMFDigitsError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
