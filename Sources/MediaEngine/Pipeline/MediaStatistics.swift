import Synchronization

/// Counters the media threads publish for `status`, the demo and systemd's watchdog.
/// Written with relaxed atomics on the media path; read from anywhere.
public final class MediaStatistics: Sendable {
    // Send path.
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
    /// Times the voice-activity detector fired on a muted microphone.
    public let speakingWhileMuted = Atomic<UInt64>(0)
    /// Monotonic time of the send loop's last iteration (the watchdog's liveness signal).
    public let heartbeat = Atomic<UInt64>(0)
    /// RTP sequence number and timestamp of the last packet sent.
    public let lastSequence = Atomic<UInt32>(0)
    public let lastTimestamp = Atomic<UInt32>(0)
    public let ssrc = Atomic<UInt32>(0)
    /// The capture latency ALSA reported with the last frame, in microseconds.
    public let captureDelayMicroseconds = Atomic<UInt64>(0)
    /// Microphone level of the last frame before the gate, in hundredths of dBFS (−12000 = silence).
    public let inputLevelCentiDB = Atomic<Int32>(-12_000)

    // Receive path.
    public let packetsReceived = Atomic<UInt64>(0)
    public let bytesReceived = Atomic<UInt64>(0)
    public let rtcpReceived = Atomic<UInt64>(0)
    /// Packets that failed SRTP authentication (wrong key, tampering): dropped, never played.
    public let authFailures = Atomic<UInt64>(0)
    public let replayedPackets = Atomic<UInt64>(0)
    /// Packets that were not RTP/RTCP, not our payload type, or (once authenticated) not Opus.
    public let malformedPackets = Atomic<UInt64>(0)
    /// Datagrams from a source other than the far end's, dropped before SRTP (`ReceiveLoop.admits`).
    public let foreignSourcePackets = Atomic<UInt64>(0)
    /// Sequence numbers that did not follow the previous one (loss or reordering).
    public let sequenceFaults = Atomic<UInt64>(0)
    /// Timestamps that did not advance by the sequence step × 960.
    public let timestampFaults = Atomic<UInt64>(0)
    public let packetsLost = Atomic<UInt64>(0)
    public let framesPlayed = Atomic<UInt64>(0)
    public let concealedFrames = Atomic<UInt64>(0)
    public let fecRecoveredFrames = Atomic<UInt64>(0)
    public let lateOrDuplicate = Atomic<UInt64>(0)
    public let playbackUnderruns = Atomic<UInt64>(0)
    /// Interarrival jitter (RFC 3550 A.8) in microseconds.
    public let jitterMicroseconds = Atomic<UInt64>(0)
    /// Round-trip time from the far end's reports, in microseconds (0 = unknown).
    public let roundTripMicroseconds = Atomic<UInt64>(0)
    /// Current jitter buffer target in milliseconds.
    public let jitterBufferMilliseconds = Atomic<UInt64>(0)
    /// Audio queued in the playback device, in microseconds.
    public let playbackQueueMicroseconds = Atomic<UInt64>(0)
    /// Monotonic time of the last authenticated packet from the far end.
    public let lastReceiveAt = Atomic<UInt64>(0)
    /// Far-end audio level of the last decoded frame, hundredths of dBFS.
    public let outputLevelCentiDB = Atomic<Int32>(-12_000)
    public let remoteSSRC = Atomic<UInt32>(0)

    public init() {}

    /// A plain copy for reporting.
    public struct Snapshot: Sendable, Equatable {
        public var framesCaptured, packetsSent, bytesSent, sendErrors, rtcpSent, overruns, mutedFrames: UInt64
        public var deviceErrors: UInt64
        public var inputLevelDBFS: Double
        public var packetsReceived, bytesReceived, rtcpReceived, authFailures, packetsLost: UInt64
        /// Datagrams refused without a failed authentication: malformed, another payload
        /// type, replayed, or from another source.
        public var packetsRefused: UInt64
        public var sequenceFaults, timestampFaults, concealedFrames, fecRecoveredFrames, framesPlayed: UInt64
        public var jitterMilliseconds: Double
        public var roundTripMilliseconds: Double?
        public var jitterBufferMilliseconds: UInt64
        public var playbackQueueMilliseconds: Double
        public var outputLevelDBFS: Double
        public var captureLatencyMilliseconds: Double
    }

    public var snapshot: Snapshot {
        let rtt = roundTripMicroseconds.load(ordering: .relaxed)
        return Snapshot(
            framesCaptured: framesCaptured.load(ordering: .relaxed), packetsSent: packetsSent.load(ordering: .relaxed),
            bytesSent: bytesSent.load(ordering: .relaxed), sendErrors: sendErrors.load(ordering: .relaxed),
            rtcpSent: rtcpSent.load(ordering: .relaxed), overruns: overruns.load(ordering: .relaxed),
            mutedFrames: mutedFrames.load(ordering: .relaxed), deviceErrors: deviceErrors.load(ordering: .relaxed),
            inputLevelDBFS: Double(inputLevelCentiDB.load(ordering: .relaxed)) / 100,
            packetsReceived: packetsReceived.load(ordering: .relaxed), bytesReceived: bytesReceived.load(ordering: .relaxed),
            rtcpReceived: rtcpReceived.load(ordering: .relaxed), authFailures: authFailures.load(ordering: .relaxed),
            packetsLost: packetsLost.load(ordering: .relaxed),
            packetsRefused: malformedPackets.load(ordering: .relaxed) &+ replayedPackets.load(ordering: .relaxed)
                &+ foreignSourcePackets.load(ordering: .relaxed),
            sequenceFaults: sequenceFaults.load(ordering: .relaxed),
            timestampFaults: timestampFaults.load(ordering: .relaxed), concealedFrames: concealedFrames.load(ordering: .relaxed),
            fecRecoveredFrames: fecRecoveredFrames.load(ordering: .relaxed), framesPlayed: framesPlayed.load(ordering: .relaxed),
            jitterMilliseconds: Double(jitterMicroseconds.load(ordering: .relaxed)) / 1000,
            roundTripMilliseconds: rtt == 0 ? nil : Double(rtt) / 1000,
            jitterBufferMilliseconds: jitterBufferMilliseconds.load(ordering: .relaxed),
            playbackQueueMilliseconds: Double(playbackQueueMicroseconds.load(ordering: .relaxed)) / 1000,
            outputLevelDBFS: Double(outputLevelCentiDB.load(ordering: .relaxed)) / 100,
            captureLatencyMilliseconds: Double(captureDelayMicroseconds.load(ordering: .relaxed)) / 1000)
    }
}

extension Atomic where Value == UInt64 {
    /// Adds with relaxed ordering (the media threads' counters).
    @inline(__always)
    func bump(_ n: UInt64 = 1) { _ = wrappingAdd(n, ordering: .relaxed) }
}
