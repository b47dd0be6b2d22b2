/// The `stats` member of `status`: media counters since the daemon started (or the call began,
/// as the daemon documents). Levels are in dBFS; unknown values are absent.
public struct StatsInfo: Sendable, Hashable, Codable {
    // Sending.
    public var framesCaptured: UInt64
    public var packetsSent: UInt64
    public var bytesSent: UInt64
    public var sendErrors: UInt64
    public var rtcpSent: UInt64
    public var overruns: UInt64
    public var mutedFrames: UInt64
    public var deviceErrors: UInt64
    public var inputLevelDBFS: Double?
    // Receiving.
    public var packetsReceived: UInt64
    public var bytesReceived: UInt64
    public var packetsLost: Int64
    public var authFailures: UInt64
    /// Datagrams at the media port refused without a failed authentication: malformed, not
    /// the negotiated payload type, replayed, or from a source other than the far end's.
    /// Optional so that a client decodes an older daemon's `status`, which lacks it.
    public var packetsRefused: UInt64?
    public var jitterMs: Double?
    public var rttMs: Double?
    public var plcFrames: UInt64
    public var fecFrames: UInt64
    public var outputLevelDBFS: Double?
    /// The jitter buffer's current target delay.
    public var jitterBufferMs: Double?
    /// Audio queued in the playback device.
    public var playbackQueueMs: Double?
    /// The capture device's own latency as ALSA reports it (device and sound-server buffering):
    /// what separates a sample's capture instant from the moment softphoned reads it.
    public var captureLatencyMs: Double?
    /// How the media threads are scheduled: `SCHED_RR <priority>`, `nice <level>` or `normal`.
    public var mediaThreads: String?

    public init(
        framesCaptured: UInt64 = 0, packetsSent: UInt64 = 0, bytesSent: UInt64 = 0,
        sendErrors: UInt64 = 0, rtcpSent: UInt64 = 0, overruns: UInt64 = 0,
        mutedFrames: UInt64 = 0, deviceErrors: UInt64 = 0, inputLevelDBFS: Double? = nil,
        packetsReceived: UInt64 = 0, bytesReceived: UInt64 = 0, packetsLost: Int64 = 0,
        authFailures: UInt64 = 0, packetsRefused: UInt64? = nil, jitterMs: Double? = nil, rttMs: Double? = nil,
        plcFrames: UInt64 = 0, fecFrames: UInt64 = 0, outputLevelDBFS: Double? = nil,
        jitterBufferMs: Double? = nil, playbackQueueMs: Double? = nil,
        captureLatencyMs: Double? = nil, mediaThreads: String? = nil
    ) {
        self.captureLatencyMs = captureLatencyMs
        self.mediaThreads = mediaThreads
        self.jitterBufferMs = jitterBufferMs
        self.playbackQueueMs = playbackQueueMs
        self.framesCaptured = framesCaptured
        self.packetsSent = packetsSent
        self.bytesSent = bytesSent
        self.sendErrors = sendErrors
        self.rtcpSent = rtcpSent
        self.overruns = overruns
        self.mutedFrames = mutedFrames
        self.deviceErrors = deviceErrors
        self.inputLevelDBFS = inputLevelDBFS
        self.packetsReceived = packetsReceived
        self.bytesReceived = bytesReceived
        self.packetsLost = packetsLost
        self.authFailures = authFailures
        self.packetsRefused = packetsRefused
        self.jitterMs = jitterMs
        self.rttMs = rttMs
        self.plcFrames = plcFrames
        self.fecFrames = fecFrames
        self.outputLevelDBFS = outputLevelDBFS
    }
}
