import CALSA
import MediaCore

/// The far end's audio out: an ALSA PCM fed 20 ms frames, recovering from underruns and
/// reopening after a failure (silence is simply not played meanwhile).
///
/// Not thread-safe: owned by the receive thread.
final class PlaybackDevice {
    let device: String
    private var pcm: ALSAPCM?
    private var failed = false
    private var nextReopenAt: UInt64 = 0

    init(device: String) throws(AudioDeviceError) {
        self.device = device
        pcm = try ALSAPCM(device: device, stream: SND_PCM_STREAM_PLAYBACK, label: "alsa:\(device) (playback)")
    }

    /// Plays one frame; failures are reported once and retried every second.
    @inline(__always)
    func write(_ frame: UnsafeBufferPointer<Int16>, statistics: MediaStatistics, events: @Sendable (MediaEvent) -> Void) {
        if pcm == nil {
            let now = MonotonicClock.now()
            guard now >= nextReopenAt else { return }
            do {
                pcm = try ALSAPCM(device: device, stream: SND_PCM_STREAM_PLAYBACK, label: "alsa:\(device) (playback)")
                failed = false
                statistics.deviceRecoveries.bump()
                events(.deviceRecovered("alsa:\(device) (playback)"))
            } catch {
                nextReopenAt = now + 1_000_000_000
                return
            }
        }
        guard let pcm, frame.count == AudioFormat.samplesPerFrame else { return }
        do {
            let recovered = try pcm.writeFrame(frame.baseAddress!)
            if recovered > 0 { statistics.playbackUnderruns.bump(UInt64(recovered)) }
        } catch {
            self.pcm = nil
            nextReopenAt = MonotonicClock.now() + 1_000_000_000
            statistics.deviceErrors.bump()
            if !failed { events(.deviceError(error.description)) }
            failed = true
        }
    }

    /// Frames queued in the device (the playback buffer's share of the latency).
    var queuedFrames: Int { pcm?.delayFrames ?? 0 }

    func close() { pcm = nil }
}
