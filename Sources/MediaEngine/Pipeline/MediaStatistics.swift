import Synchronization

/// Counters the media threads publish for `status`, the demo and systemd's watchdog.
/// Written with relaxed atomics on the media path; read from anywhere.
public final class MediaStatistics: Sendable {
    public let framesCaptured = Atomic<UInt64>(0)
    public let packetsSent = Atomic<UInt64>(0)
    public let bytesSent = Atomic<UInt64>(0)
    public let sendErrors = Atomic<UInt64>(0)
    public let rtcpSent = Atomic<UInt64>(0)
    public let overruns = Atomic<UInt64>(0)
    public let mutedFrames = Atomic<UInt64>(0)
    /// Device failures seen (each followed by silence until it recovers).
    public let deviceErrors = Atomic<UInt64>(0)
    public let deviceRecoveries = Atomic<UInt64>(0)
    /// 1 while the capture device is failed.
    public let deviceDown = Atomic<UInt8>(0)
    /// Times the voice-activity detector fired on a muted microphone.
    public let speakingWhileMuted = Atomic<UInt64>(0)
    /// Monotonic time of the send loop's last iteration (the watchdog's liveness signal).
    public let heartbeat = Atomic<UInt64>(0)
    /// Monotonic time the last packet carrying a mute transition was sent.
    public let lastTransitionSentAt = Atomic<UInt64>(0)
    /// RTP sequence number and timestamp of the last packet sent.
    public let lastSequence = Atomic<UInt32>(0)
    public let lastTimestamp = Atomic<UInt32>(0)
    /// Microphone level of the last frame before the gate, in hundredths of dBFS (−12000 = silence).
    public let inputLevelCentiDB = Atomic<Int32>(-12_000)

    public init() {}

    /// A plain copy for reporting.
    public struct Snapshot: Sendable, Codable, Equatable {
        public var framesCaptured, packetsSent, bytesSent, sendErrors, rtcpSent, overruns, mutedFrames: UInt64
        public var deviceErrors: UInt64
        public var inputLevelDBFS: Double
    }

    public var snapshot: Snapshot {
        Snapshot(
            framesCaptured: framesCaptured.load(ordering: .relaxed), packetsSent: packetsSent.load(ordering: .relaxed),
            bytesSent: bytesSent.load(ordering: .relaxed), sendErrors: sendErrors.load(ordering: .relaxed),
            rtcpSent: rtcpSent.load(ordering: .relaxed), overruns: overruns.load(ordering: .relaxed),
            mutedFrames: mutedFrames.load(ordering: .relaxed), deviceErrors: deviceErrors.load(ordering: .relaxed),
            inputLevelDBFS: Double(inputLevelCentiDB.load(ordering: .relaxed)) / 100)
    }
}
