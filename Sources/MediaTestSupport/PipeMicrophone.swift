import Foundation
import MediaCore
import MediaEngine
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A microphone whose every sample the test dates itself: a PulseAudio `module-pipe-source`
/// on the fixture's daemon, fed through its FIFO in 5 ms chunks on absolute deadlines.
///
/// A chunk enters the sound server the moment it is written, so the instant a sample was
/// "captured" is the test's own write time — an oracle independent of the ALSA timestamps
/// the daemon under test reads. Clients reach it as an ordinary PulseAudio source (for
/// ALSA's `pulse` PCM: `PULSE_SOURCE=<name>`).
public final class PipeMicrophone: @unchecked Sendable {
    public static let chunkSamples = 240  // 5 ms

    public let sourceName: String
    private let fifo: String
    private let moduleIndex: String
    private let fd: CInt
    private struct State {
        var running = true
        var toneUntilChunk: Int = -1
        var chunk = 0
        /// Write-return instant of the last chunk that carried the tone.
        var lastToneWrittenAt: UInt64 = 0
    }
    private let state = Mutex(State())
    private let finished = DispatchSemaphore(value: 0)

    /// Loads the source and starts feeding it silence.
    public init(name: String, directory: URL) throws {
        try PulseAudioFixture.ensureRunning()
        sourceName = name
        fifo = directory.appendingPathComponent("\(name).fifo").path
        unlink(fifo)
        // The server makes the FIFO and holds its reading end.
        moduleIndex = try PulseAudioFixture.pactl([
            "load-module", "module-pipe-source", "source_name=\(name)", "file=\(fifo)", "format=s16le", "rate=48000", "channels=1",
        ]).trimmingCharacters(in: .whitespacesAndNewlines)
        // Opening for reading+writing never blocks, whatever the server does with its end.
        fd = open(fifo, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw PulseAudioFixtureError("open \(fifo): \(String(cString: strerror(errno)))") }
        let thread = Thread { [unowned self] in self.feed() }
        thread.start()
    }

    /// Plays a 1 kHz tone for `seconds` starting at the next chunk, then silence again.
    /// - Returns: the monotonic instant the tone's last chunk entered the sound server.
    public func playTone(seconds: Double) -> UInt64 {
        let chunks = Int(seconds * 48_000) / Self.chunkSamples
        let last = state.withLock { state -> Int in
            state.lastToneWrittenAt = 0
            state.toneUntilChunk = state.chunk + chunks
            return state.toneUntilChunk
        }
        while true {
            let (written, current) = state.withLock { ($0.lastToneWrittenAt, $0.chunk) }
            if current > last && written != 0 { return written }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    private func feed() {
        var chunk = [Int16](repeating: 0, count: Self.chunkSamples)
        var phase = 0.0
        var deadline = MonotonicClock.now()
        while true {
            let (running, index, tone) = state.withLock { ($0.running, $0.chunk, $0.chunk < $0.toneUntilChunk) }
            guard running else { break }
            for i in 0..<Self.chunkSamples {
                chunk[i] = tone ? Int16(sin(phase) * 9_830) : 0
                phase += 2 * Double.pi * 1000 / 48_000
            }
            _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let writtenAt = MonotonicClock.now()
            state.withLock {
                if tone { $0.lastToneWrittenAt = writtenAt }
                $0.chunk = index + 1
            }
            deadline += UInt64(Self.chunkSamples) * 1_000_000_000 / 48_000
            MonotonicClock.sleep(until: deadline)
        }
        finished.signal()
    }

    /// Stops feeding and unloads the source.
    public func stop() {
        let wasRunning = state.withLock { state -> Bool in
            defer { state.running = false }
            return state.running
        }
        guard wasRunning else { return }
        finished.wait()
        _ = try? PulseAudioFixture.pactl(["unload-module", moduleIndex])
        close(fd)
        unlink(fifo)
    }

    deinit { stop() }
}
