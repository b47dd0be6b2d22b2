import MediaCore
import MediaEngine

/// What one send-path benchmark works on: a sender and the frames it feeds it.
///
/// Built once per benchmark, outside the measured region; `next()` allocates nothing.
public final class SendFixture {
    public let sender: FrameSender
    public let tone: ToneSignal
    /// 20 ms of digital silence: what the mute gate hands the encoder in `silence` mode.
    public let silence: UnsafeMutablePointer<Int16>
    private var index = 0

    public init(key: SRTPMasterKey, opus: OpusSettings = OpusSettings()) throws {
        sender = try FrameSender(key: key, opus: opus)
        tone = ToneSignal()
        silence = .allocate(capacity: AudioFormat.samplesPerFrame)
        silence.initialize(repeating: 0, count: AudioFormat.samplesPerFrame)
    }

    deinit { silence.deallocate() }

    /// The next frame of the tone, wrapping after one second.
    @inline(__always)
    public func nextToneFrame() -> UnsafePointer<Int16> {
        defer { index &+= 1 }
        return tone.frame(index)
    }
}
