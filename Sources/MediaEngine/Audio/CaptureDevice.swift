import CALSA
import Foundation
import MediaCore

/// Why an audio device could not be used.
public struct AudioDeviceError: Error, CustomStringConvertible {
    public let device: String
    public let reason: String
    public init(device: String, reason: String) {
        self.device = device
        self.reason = reason
    }
    init(device: String, call: String, code: Int32) {
        self.init(device: device, reason: "\(call): \(String(cString: snd_strerror(code)))")
    }
    public var description: String { "audio device \(device): \(reason)" }
}

/// The microphone: an ALSA PCM, a tone or a WAV file, delivering 20 ms frames of 48 kHz mono,
/// each dated by the instant its samples were captured.
///
/// `tone:` and `file:` are paced by absolute monotonic deadlines, so they never drift;
/// `alsa:` is paced by the sound card and dated by ALSA's own timestamp and delay (see
/// `ALSAPCM.captureEnd`). Not thread-safe: owned by the media thread.
public final class CaptureDevice {
    public let spec: AudioSourceSpec
    /// False for benchmarks: `tone:` and `file:` frames come as fast as they are read.
    private let paced: Bool
    private var alsa: ALSAPCM?
    private var samples: [Int16] = []
    private var position = 0
    private var phase = 0.0
    private var phaseStep = 0.0
    private var deadline: UInt64 = 0
    /// Capture overruns recovered with `snd_pcm_recover`.
    public private(set) var overruns = 0

    /// Prepares the source; a WAV file is read and checked here.
    public init(spec: AudioSourceSpec, paced: Bool = true) throws(AudioDeviceError) {
        self.spec = spec
        self.paced = paced
        switch spec {
        case .tone(let hz):
            phaseStep = 2 * Double.pi * hz / Double(AudioFormat.sampleRate)
        case .file(let path):
            do { samples = try WAVFile(path: path).samples } catch { throw AudioDeviceError(device: spec.description, reason: error.description) }
        case .alsa:
            break
        }
    }

    /// Opens the device (the microphone is open only during a call).
    public func open() throws(AudioDeviceError) {
        deadline = MonotonicClock.now()
        if case .alsa(let device) = spec {
            alsa = try ALSAPCM(device: device, stream: SND_PCM_STREAM_CAPTURE, label: spec.description)
        }
    }

    public func close() {
        alsa = nil
    }

    public var isOpen: Bool {
        if case .alsa = spec { return alsa != nil }
        return deadline != 0
    }

    /// Blocks until the next 20 ms frame is captured into `frame` (960 samples).
    /// - Returns: when the frame was captured: the monotonic instant just after its last
    ///   sample (its samples were captured at `end − 20 ms + k × 1/48000 s`), as a bracket.
    @inline(__always)
    public func read(into frame: UnsafeMutablePointer<Int16>) throws(AudioDeviceError) -> CaptureInstants {
        switch spec {
        case .alsa:
            guard let alsa else { throw AudioDeviceError(device: spec.description, reason: "not open") }
            let recovered = try alsa.readFrame(into: frame)
            overruns += recovered
            return alsa.captureEnd()
        case .tone:
            let amplitude = 0.3 * 32767
            for i in 0..<AudioFormat.samplesPerFrame {
                frame[i] = Int16(amplitude * sin(phase))
                phase += phaseStep
                if phase > 2 * Double.pi { phase -= 2 * Double.pi }
            }
        case .file:
            for i in 0..<AudioFormat.samplesPerFrame {
                frame[i] = samples[position]
                position += 1
                if position == samples.count { position = 0 }
            }
        }
        return CaptureInstants(exactly: pace())
    }

    /// Sleeps until the frame's absolute deadline; after a long stall (e.g. a suspended
    /// machine) it skips ahead instead of sending a burst.
    @inline(__always)
    func pace() -> UInt64 {
        deadline &+= AudioFormat.frameNanoseconds
        guard paced else { return deadline }
        let now = MonotonicClock.now()
        if now > deadline &+ 200_000_000 {
            deadline = now
        } else if deadline > now {
            MonotonicClock.sleep(until: deadline)
        }
        return deadline
    }

    /// The capture latency ALSA reported for the last frame, in microseconds (0 for `tone:`/`file:`).
    public var latencyMicroseconds: Int { alsa?.lastDelayMicroseconds ?? 0 }

    /// Fills `frame` with silence paced like a real frame: used while the device is down.
    @inline(__always)
    public func silentFrame(into frame: UnsafeMutablePointer<Int16>) -> CaptureInstants {
        frame.update(repeating: 0, count: AudioFormat.samplesPerFrame)
        if deadline == 0 { deadline = MonotonicClock.now() }
        return CaptureInstants(exactly: pace())
    }
}

/// An open ALSA PCM in S16_LE, 48 kHz, 20 ms periods; mono or, when the device only
/// offers stereo, stereo downmixed (capture) or duplicated (playback).
final class ALSAPCM {
    let pcm: OpaquePointer
    let channels: Int
    let label: String
    private let interleaved: UnsafeMutablePointer<Int16>
    /// Reused for every `snd_pcm_status` (allocated once with the device).
    private let status: OpaquePointer?
    /// Whether ALSA stamps status with CLOCK_MONOTONIC, the clock mute requests are dated by.
    private let monotonicStamps: Bool
    /// The delay reported with the last captured frame, in microseconds.
    private(set) var lastDelayMicroseconds = 0
    /// A kernel (`hw`) device, whose status figures come from the driver itself.
    private let kernelDevice: Bool
    /// The device's period in frames: how coarsely it (or a sound server) hands audio over.
    private let periodFrames: UInt64
    /// The largest delay reported lately, in frames, decaying by `delayDecay` per frame.
    private var recentMaximumDelay: UInt64 = 0
    /// 0.5 ms a frame: a spike is remembered for about a second.
    private static let delayDecay: UInt64 = 24

    init(device: String, stream: snd_pcm_stream_t, label: String, periods: Int = 4) throws(AudioDeviceError) {
        self.label = label
        var handle: OpaquePointer?
        var rc = snd_pcm_open(&handle, device, stream, 0)
        guard rc >= 0, let handle else { throw AudioDeviceError(device: label, call: "cannot open (snd_pcm_open)", code: rc) }
        var params: OpaquePointer?
        snd_pcm_hw_params_malloc(&params)
        defer { snd_pcm_hw_params_free(params) }
        func fail(_ call: String, _ code: Int32) -> AudioDeviceError {
            snd_pcm_close(handle)
            return AudioDeviceError(device: label, call: call, code: code)
        }
        snd_pcm_hw_params_any(handle, params)
        rc = snd_pcm_hw_params_set_access(handle, params, SND_PCM_ACCESS_RW_INTERLEAVED)
        if rc < 0 { throw fail("snd_pcm_hw_params_set_access", rc) }
        rc = snd_pcm_hw_params_set_format(handle, params, SND_PCM_FORMAT_S16_LE)
        if rc < 0 { throw fail("S16_LE not supported (snd_pcm_hw_params_set_format)", rc) }
        var channels = 1
        if snd_pcm_hw_params_set_channels(handle, params, 1) < 0 {
            rc = snd_pcm_hw_params_set_channels(handle, params, 2)
            if rc < 0 { throw fail("neither mono nor stereo (snd_pcm_hw_params_set_channels)", rc) }
            channels = 2
        }
        var rate = UInt32(AudioFormat.sampleRate)
        var dir: Int32 = 0
        rc = snd_pcm_hw_params_set_rate_near(handle, params, &rate, &dir)
        if rc < 0 || rate != UInt32(AudioFormat.sampleRate) {
            throw fail("48000 Hz not supported (got \(rate) Hz; use a plug device such as plughw: or default)", rc < 0 ? rc : -EINVAL)
        }
        var period = snd_pcm_uframes_t(AudioFormat.samplesPerFrame)
        snd_pcm_hw_params_set_period_size_near(handle, params, &period, &dir)
        var buffer = snd_pcm_uframes_t(AudioFormat.samplesPerFrame * periods)
        snd_pcm_hw_params_set_buffer_size_near(handle, params, &buffer)
        rc = snd_pcm_hw_params(handle, params)
        if rc < 0 { throw fail("snd_pcm_hw_params", rc) }
        periodFrames = UInt64(period)
        kernelDevice = snd_pcm_type(handle) == SND_PCM_TYPE_HW
        monotonicStamps = Self.enableMonotonicTimestamps(handle)
        rc = snd_pcm_prepare(handle)
        if rc < 0 { throw fail("snd_pcm_prepare", rc) }
        pcm = handle
        self.channels = channels
        interleaved = .allocate(capacity: AudioFormat.samplesPerFrame * 2)
        var status: OpaquePointer?
        snd_pcm_status_malloc(&status)
        self.status = status
    }

    deinit {
        snd_pcm_close(pcm)
        interleaved.deallocate()
        if let status { snd_pcm_status_free(status) }
    }

    /// Asks ALSA to timestamp status updates with CLOCK_MONOTONIC (software parameters).
    private static func enableMonotonicTimestamps(_ pcm: OpaquePointer) -> Bool {
        var sw: OpaquePointer?
        guard snd_pcm_sw_params_malloc(&sw) == 0, let sw else { return false }
        defer { snd_pcm_sw_params_free(sw) }
        guard snd_pcm_sw_params_current(pcm, sw) == 0,
              snd_pcm_sw_params_set_tstamp_mode(pcm, sw, SND_PCM_TSTAMP_ENABLE) == 0,
              snd_pcm_sw_params_set_tstamp_type(pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC) == 0 else { return false }
        return snd_pcm_sw_params(pcm, sw) == 0
    }

    /// When the last frame read was captured, from ALSA's own figures at the status
    /// timestamp. On a kernel device `avail` frames were then buffered, captured after our
    /// last sample, so it was captured at the latest `avail` samples before now (taken just
    /// after the status, so a stale stamp cannot make it earlier); a plugin's `avail` is not
    /// trusted and the latest bound is now. The mute edge cuts there.
    /// `delay` counts those plus what the device and the sound server still hold; the unmute
    /// edge takes the largest delay reported in the last second plus one device period, since
    /// a sound server's figure is interpolated between its timing updates and was measured
    /// to fall short by up to a period (on the `pulse` PCM). Overstating it only makes an
    /// unmute later, never earlier. Without a usable status the read's return time is the
    /// latest bound and `snd_pcm_delay` gives the other.
    @inline(__always)
    func captureEnd() -> CaptureInstants {
        var delay: snd_pcm_sframes_t = 0
        var avail: snd_pcm_uframes_t = 0
        var reported: UInt64 = 0
        if let status, snd_pcm_status(pcm, status) == 0 {
            delay = snd_pcm_status_get_delay(status)
            avail = snd_pcm_status_get_avail(status)
            if monotonicStamps { reported = softphoned_pcm_status_htstamp_ns(status) }
        } else if snd_pcm_delay(pcm, &delay) != 0 {
            delay = 0
        }
        // Taken after the status, so no sample counted in it can be later than this.
        let now = MonotonicClock.now()
        // A zero or future stamp (a plugin that does not fill it) counts as now; a stale one
        // only moves the earliest bound earlier, which is the safe side.
        let stamp = reported != 0 && reported <= now ? reported : now
        let rate = UInt64(AudioFormat.sampleRate)
        let delayed = UInt64(max(0, min(Int(delay), AudioFormat.sampleRate)))
        // Only a kernel driver's `avail` counts what was really captured; a plugin's (the
        // `file`/`null` pair reports its whole buffer) is not trusted to move the mute edge.
        let buffered = kernelDevice ? min(UInt64(avail), delayed) : 0
        lastDelayMicroseconds = Int(delayed * 1_000_000 / rate)
        recentMaximumDelay = max(delayed, recentMaximumDelay > Self.delayDecay ? recentMaximumDelay - Self.delayDecay : 0)
        let earliest = recentMaximumDelay + periodFrames
        return CaptureInstants(latestEnd: now &- buffered * 1_000_000_000 / rate,
                               earliestEnd: stamp &- earliest * 1_000_000_000 / rate)
    }

    /// Reads one 20 ms frame (blocking).
    /// - Returns: how many overruns were recovered on the way.
    @inline(__always)
    func readFrame(into frame: UnsafeMutablePointer<Int16>) throws(AudioDeviceError) -> Int {
        var recovered = 0
        var done = 0
        let target = channels == 1 ? frame : interleaved
        while done < AudioFormat.samplesPerFrame {
            let n = snd_pcm_readi(pcm, target + done * channels, snd_pcm_uframes_t(AudioFormat.samplesPerFrame - done))
            if n >= 0 {
                done += Int(n)
                continue
            }
            let rc = snd_pcm_recover(pcm, Int32(n), 1)
            if rc < 0 { throw AudioDeviceError(device: label, call: "capture failed (snd_pcm_readi)", code: Int32(n)) }
            recovered += 1
            _ = snd_pcm_start(pcm)
        }
        if channels == 2 {
            for i in 0..<AudioFormat.samplesPerFrame {
                frame[i] = Int16((Int32(interleaved[2 * i]) + Int32(interleaved[2 * i + 1])) / 2)
            }
        }
        return recovered
    }

    /// Writes one 20 ms frame (blocking), recovering from underruns.
    /// - Returns: how many underruns were recovered.
    @inline(__always)
    func writeFrame(_ frame: UnsafePointer<Int16>) throws(AudioDeviceError) -> Int {
        var source = frame
        if channels == 2 {
            for i in 0..<AudioFormat.samplesPerFrame {
                interleaved[2 * i] = frame[i]
                interleaved[2 * i + 1] = frame[i]
            }
            source = UnsafePointer(interleaved)
        }
        var recovered = 0
        var done = 0
        while done < AudioFormat.samplesPerFrame {
            let n = snd_pcm_writei(pcm, source + done * channels, snd_pcm_uframes_t(AudioFormat.samplesPerFrame - done))
            if n >= 0 {
                done += Int(n)
                continue
            }
            let rc = snd_pcm_recover(pcm, Int32(n), 1)
            if rc < 0 { throw AudioDeviceError(device: label, call: "playback failed (snd_pcm_writei)", code: Int32(n)) }
            recovered += 1
        }
        return recovered
    }

    /// Frames queued for playback (for measuring the playback buffer's latency).
    var delayFrames: Int {
        var delay: snd_pcm_sframes_t = 0
        return snd_pcm_delay(pcm, &delay) == 0 ? Int(delay) : 0
    }
}
