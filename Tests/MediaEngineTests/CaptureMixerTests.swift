import DaemonTestSupport
import Foundation
import MediaEngine
import MediaTestSupport
import Synchronization
import Testing

/// The capture switch through ALSA's `pulse` control, against the PulseAudio fixture, with
/// `pactl` (not our code) as the desktop that mutes and unmutes the source.
///
/// Each test mutes a source of its own (the monitor of a null sink only it uses, reached as
/// the control `pulse:<source>`), so the shared sink's monitor that other tests record from is
/// never muted under them.
@Suite("Capture mixer switch through the sound server", .serialized, .timeLimit(.minutes(1)))
struct CaptureMixerTests {
    /// Collects what the mixer reports.
    final class Recorder: Sendable {
        private let all = Mutex<[CaptureMixerEvent]>([])
        func append(_ event: CaptureMixerEvent) { all.withLock { $0.append(event) } }
        var events: [CaptureMixerEvent] { all.withLock { $0 } }

        func wait(timeout: Double = 5, until condition: ([CaptureMixerEvent]) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if condition(events) { return true }
                Thread.sleep(forTimeInterval: 0.005)
            }
            return condition(events)
        }
    }

    @Test("pactl set-source-mute is seen as the switch turning off and on; the mixer's own writes reach the server and are never reported back")
    func bothWays() async throws {
        let source = try PulseAudioFixture.sourceOfItsOwn(sink: "softphoned_mixer_engine")
        let recorder = Recorder()
        let mixer = try CaptureMixer(name: "pulse:\(source)")
        mixer.start { recorder.append($0) }
        defer { mixer.stop() }
        #expect(recorder.wait { $0.first == .attached(element: "Capture", switchOn: true) }, "\(recorder.events)")
        #expect(mixer.state == CaptureMixerState(phase: .attached, element: "Capture", switchOn: true))

        // The desktop mutes and unmutes the source.
        try PulseAudioFixture.pactl(["set-source-mute", source, "1"])
        #expect(recorder.wait { $0.last == .switchChanged(on: false) }, "\(recorder.events)")
        try PulseAudioFixture.pactl(["set-source-mute", source, "0"])
        #expect(recorder.wait { $0.last == .switchChanged(on: true) }, "\(recorder.events)")

        // The mixer mutes and unmutes it: the server follows, and nothing comes back as a change.
        let before = recorder.events.count
        mixer.setSwitch(false)
        #expect(try await eventually(timeout: .seconds(5)) { try PulseAudioFixture.isMuted(source: source) })
        mixer.setSwitch(true)
        #expect(try await eventually(timeout: .seconds(5)) { try !PulseAudioFixture.isMuted(source: source) })
        mixer.setSwitch(true)
        try await Task.sleep(for: .milliseconds(300))
        #expect(recorder.events.count == before, "own writes reported as changes: \(recorder.events[before...])")
        #expect(mixer.state.switchOn == true)
    }

    @Test("a burst of requests ends with the switch at the last one")
    func latestRequestWins() async throws {
        let source = try PulseAudioFixture.sourceOfItsOwn(sink: "softphoned_mixer_burst")
        let recorder = Recorder()
        let mixer = try CaptureMixer(name: "pulse:\(source)")
        mixer.start { recorder.append($0) }
        defer { mixer.stop() }
        #expect(recorder.wait { !$0.isEmpty })
        for i in 0..<51 { mixer.setSwitch(i % 2 == 1) }
        mixer.setSwitch(false)
        #expect(try await eventually(timeout: .seconds(5)) { try PulseAudioFixture.isMuted(source: source) && mixer.state.switchOn == false })
        try await Task.sleep(for: .milliseconds(200))
        #expect(try PulseAudioFixture.isMuted(source: source))
        #expect(!recorder.events.contains { if case .switchChanged = $0 { true } else { false } }, "\(recorder.events)")
    }

    @Test("a mixer that cannot be opened is reported once and tried again, and stopping does not wait for it")
    func unavailable() throws {
        let recorder = Recorder()
        let mixer = try CaptureMixer(name: "hw:97", retryInterval: .milliseconds(20))
        mixer.start { recorder.append($0) }
        #expect(recorder.wait { !$0.isEmpty })
        Thread.sleep(forTimeInterval: 0.3)
        let events = recorder.events
        #expect(events.count == 1, "\(events)")
        guard case .detached(let reason) = events.first else {
            Issue.record("expected detached, got \(events)")
            return
        }
        #expect(reason.contains("hw:97"), "\(reason)")
        #expect(mixer.state.phase == .unavailable)
        let stopping = Date()
        mixer.stop()
        #expect(Date().timeIntervalSince(stopping) < 0.5)
    }
}
