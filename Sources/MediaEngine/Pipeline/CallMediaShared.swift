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

/// State shared by a call's threads and its owner, all through atomics: the send thread
/// never waits for the receive thread or the control plane.
final class CallMediaShared: Sendable {
    let running = Atomic<Bool>(true)

    // Reception state published by the receive thread for the send thread's reports: the
    // receive thread's `ReceptionStatistics.totals`, field by field.
    let remoteSSRC = Atomic<UInt32>(0)
    let expected = Atomic<UInt32>(0)
    let received = Atomic<UInt32>(0)
    let extendedHighest = Atomic<UInt32>(0)
    /// Interarrival jitter in timestamp units.
    let jitter = Atomic<UInt32>(0)
    /// Middle 32 bits of the last SR's NTP time and when it arrived (monotonic ns).
    let lastSRMiddle = Atomic<UInt32>(0)
    let lastSRArrival = Atomic<UInt64>(0)

    init() {}

    /// Publishes the receive thread's counts.
    func publish(_ totals: ReceptionStatistics.Totals) {
        expected.store(totals.expected, ordering: .relaxed)
        received.store(totals.received, ordering: .relaxed)
        extendedHighest.store(totals.extendedHighestSequence, ordering: .relaxed)
        jitter.store(totals.jitter, ordering: .relaxed)
    }

    /// Writes one RFC 3550 report block about the far end's stream (A.3 as
    /// `ReceptionStatistics` computes it).
    /// - Returns: false when nothing has been received yet (no block to send).
    func writeReportBlock(into block: UnsafeMutableRawBufferPointer, now: UInt64, prior: inout ReceptionStatistics.Totals) -> Bool {
        let totals = ReceptionStatistics.Totals(
            expected: expected.load(ordering: .relaxed), received: received.load(ordering: .relaxed),
            extendedHighestSequence: extendedHighest.load(ordering: .relaxed), jitter: jitter.load(ordering: .relaxed))
        guard totals.received > 0 else { return false }
        let lsr = lastSRMiddle.load(ordering: .relaxed)
        let lsrAt = lastSRArrival.load(ordering: .relaxed)
        // DLSR in units of 1/65536 s.
        let dlsr: UInt32 = lsr == 0 || lsrAt == 0 ? 0 : RTCPReportBlock.delay(nanoseconds: now &- lsrAt)
        ReceptionStatistics.reportBlock(totals, since: &prior, ssrc: remoteSSRC.load(ordering: .relaxed),
                                        lastSenderReport: lsr, delaySinceLastSenderReport: dlsr).write(into: block)
        return true
    }
}
