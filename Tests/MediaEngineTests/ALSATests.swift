import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Synchronization
import Testing

/// ALSA capture and playback through a real sound server: a private PulseAudio daemon
/// with a null sink, reached through ALSA's `pulse` PCM.
///
/// Serialized: the tests share the one null sink, so one test's tone must not be heard by
/// another (they also use different frequencies to be sure).
@Suite("ALSA through a PulseAudio null sink", .serialized, .timeLimit(.minutes(1)))
struct ALSATests {
    @Test("the fixture is idempotent and safe to call from several threads at once")
    func fixtureIsIdempotent() throws {
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { try PulseAudioFixture.ensureRunning() } catch { failures.withLock { $0.append("\(error)") } }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(PulseAudioFixture.isAnswering())
        let sinks = try PulseAudioFixture.pactl(["list", "short", "sinks"])
        #expect(sinks.split(separator: "\n").filter { $0.contains(PulseAudioFixture.sinkName) }.count == 1, "\(sinks)")
        let source = try PulseAudioFixture.pactl(["get-default-source"])
        #expect(source.trimmingCharacters(in: .whitespacesAndNewlines) == PulseAudioFixture.monitorName)
        #expect(getenv("PULSE_SERVER").map { String(cString: $0) } == PulseAudioFixture.server)
    }

    @Test("a tone played into the sink is captured from alsa:pulse, sent and decoded")
    func captureFromPulse() throws {
        try PulseAudioFixture.ensureRunning()
        let directory = try TemporaryDirectory.make(prefix: "alsa-capture")
        defer { try? FileManager.default.removeItem(at: directory) }
        let collector = try DatagramCollector()
        defer { collector.stop() }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let events = Mutex<[MediaEvent]>([])
        let media = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: collector.address, bindLoopbackOnly: true, sendKey: key,
                source: .alsa(device: "pulse"), playback: .none, mediaTimeoutSeconds: 0),
            events: { event in events.withLock { $0.append(event) } })
        media.start()
        // The microphone is open once frames flow; then the "speaker" starts talking.
        collector.wait(timeout: 10) { $0.count >= 5 }
        let player = try PulseAudioFixture.playTone(hertz: 1000, seconds: 3, directory: directory)
        let played = try player.wait(timeout: 20)
        media.stop()
        collector.stop()
        #expect(played.succeeded, "\(played)")
        #expect(events.withLock { $0 }.isEmpty, "device events: \(events.withLock { $0 })")

        let far = try SRTPFarEnd(datagrams: collector.datagrams, key: key)
        #expect(far.authenticationFailures == 0)
        let report = ToneReport(samples: far.samples)
        #expect(report.activeSeconds() >= 1.5, "too little of the tone arrived: \(report)")
        #expect(report.isTone(1000, tolerance: 5, levels: -40 ... -6), "\(report)")
        #expect(media.statistics.framesCaptured.load(ordering: .relaxed) >= 100)
    }

    @Test("far-end audio is played to alsa:pulse and heard on the sink's monitor")
    func playbackToPulse() throws {
        try PulseAudioFixture.ensureRunning()
        let sendKey = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let returnKey = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        // The listener needs a fixed port so the talker can be built towards it first.
        let listenerPort = try UDPPorts.free()
        let talker = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: try SocketAddress(host: "127.0.0.1", port: listenerPort), bindLoopbackOnly: true,
                sendKey: sendKey, receiveKey: returnKey,
                source: .tone(hertz: 660), playback: .none, mediaTimeoutSeconds: 0))
        let listener = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: talker.localAddress.loopback, localPort: listenerPort, bindLoopbackOnly: true,
                sendKey: returnKey, receiveKey: sendKey,
                source: .tone(hertz: 440), playback: .alsa(device: "pulse"), mediaTimeoutSeconds: 0))
        let recorder = try PulseAudioFixture.recordMonitor()
        listener.start()
        talker.start()
        Thread.sleep(forTimeInterval: 3)
        let recorded = try recorder.interruptAndWait(timeout: 10)
        talker.stop()
        listener.stop()

        let samples = RawPCM.samples(recorded.standardOutput)
        let report = ToneReport(samples: samples)
        #expect(listener.statistics.framesPlayed.load(ordering: .relaxed) >= 50)
        #expect(report.activeSeconds() >= 1, "too little was played: \(report); \(recorded)")
        #expect(report.isTone(660, tolerance: 5, levels: -40 ... -6), "\(report)")
    }

    @Test("a device that does not exist is refused with its name")
    func missingDevice() throws {
        let device = try CaptureDevice(spec: .alsa(device: "nonexistent_device_xyz"))
        let error = #expect(throws: AudioDeviceError.self) { try device.open() }
        #expect(error?.description.contains("nonexistent_device_xyz") == true, "\(String(describing: error))")
        #expect(!device.isOpen)
    }

    @Test("a WAV file that is not 16-bit PCM is refused, saying so")
    func floatWAVRefused() throws {
        let directory = try TemporaryDirectory.make(prefix: "alsa-wav")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("float.wav").path
        let made = try ExternalProcess.run("sox", ["-n", "-r", "48000", "-c", "1", "-e", "floating-point", "-b", "32", path,
                                                   "synth", "0.5", "sine", "1000"])
        try #require(made.succeeded, "\(made)")
        let error = #expect(throws: AudioDeviceError.self) { try CaptureDevice(spec: .file(path: path)) }
        #expect(error?.description.contains("16-bit PCM") == true, "\(String(describing: error))")
        #expect(error?.description.contains(path) == true)
    }
}

extension SocketAddress {
    /// The same port on 127.0.0.1 (a socket bound to the loopback reports that address anyway).
    var loopback: SocketAddress { (try? SocketAddress(host: "127.0.0.1", port: port)) ?? self }
}
