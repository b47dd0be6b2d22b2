import MediaCore
import Synchronization

/// Why a call's media could not start.
public struct CallMediaError: Error, CustomStringConvertible {
    public let description: String
    /// True when the audio device was the cause (JSON-RPC error 1005).
    public let deviceUnavailable: Bool
    init(_ description: String, deviceUnavailable: Bool = false) {
        self.description = description
        self.deviceUnavailable = deviceUnavailable
    }
}

/// What the send loop remembers between two reception reports (RFC 3550 A.3).
struct ReceptionReportPrior {
    var expected: UInt64 = 0
    var received: UInt64 = 0
}

/// State shared by a call's threads and its owner, all through atomics: the send thread
/// never waits for the receive thread or the control plane.
final class CallMediaShared: Sendable {
    let running = Atomic<Bool>(true)

    // Reception state published by the receive thread for the send thread's reports.
    let remoteSSRC = Atomic<UInt32>(0)
    let baseSequence = Atomic<UInt64>(0)
    let extendedHighest = Atomic<UInt64>(0)
    let receivedCount = Atomic<UInt64>(0)
    /// Interarrival jitter in timestamp units.
    let jitter = Atomic<UInt32>(0)
    /// Middle 32 bits of the last SR's NTP time and when it arrived (monotonic ns).
    let lastSRMiddle = Atomic<UInt32>(0)
    let lastSRArrival = Atomic<UInt64>(0)

    init() {}

    /// Writes one RFC 3550 report block about the far end's stream.
    /// - Returns: false when nothing has been received yet (no block to send).
    func writeReportBlock(into block: UnsafeMutableRawBufferPointer, now: UInt64, prior: inout ReceptionReportPrior) -> Bool {
        let received = receivedCount.load(ordering: .relaxed)
        guard received > 0 else { return false }
        let base = baseSequence.load(ordering: .relaxed)
        let highest = extendedHighest.load(ordering: .relaxed)
        let expected = highest >= base ? highest - base + 1 : 0
        let lost = Int64(expected) - Int64(received)
        let expectedInterval = expected &- prior.expected
        let receivedInterval = received &- prior.received
        prior = ReceptionReportPrior(expected: expected, received: received)
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction: UInt8 = expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        let lsr = lastSRMiddle.load(ordering: .relaxed)
        let lsrAt = lastSRArrival.load(ordering: .relaxed)
        // DLSR in units of 1/65536 s.
        let dlsr: UInt32 = lsr == 0 || lsrAt == 0 ? 0 : RTCPReportBlock.delay(nanoseconds: now &- lsrAt)
        RTCPReportBlock(
            ssrc: remoteSSRC.load(ordering: .relaxed), fractionLost: fraction,
            cumulativeLost: Int32(clamping: lost), extendedHighestSequence: UInt32(truncatingIfNeeded: highest),
            jitter: jitter.load(ordering: .relaxed), lastSenderReport: lsr, delaySinceLastSenderReport: dlsr
        ).write(into: block)
        return true
    }
}
