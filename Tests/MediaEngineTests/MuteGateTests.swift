import MediaCore
@testable import MediaEngine
import Testing

@Suite("Mute gate")
struct MuteGateTests {
    /// A frame of constant level, so every sample shows whether the gate touched it.
    func loudFrame() -> UnsafeMutablePointer<Int16> {
        let frame = UnsafeMutablePointer<Int16>.allocate(capacity: 960)
        frame.initialize(repeating: 10_000, count: 960)
        return frame
    }

    @Test("a mute mid-frame silences every sample captured after the request, ramping only earlier ones")
    func cutsAtTheRequest() {
        let signal = MuteSignal()
        var gate = MuteGate(signal: signal)
        let frameEnd: UInt64 = 1_000_000_000
        // Requested 10 ms into the frame that ends at frameEnd.
        let generation = signal.publish(muted: true, mode: .silence, requestedAt: frameEnd - 10_000_000)
        let frame = loudFrame()
        defer { frame.deallocate() }
        let decision = gate.apply(to: frame, capturedAt: frameEnd, signal: signal)
        #expect(decision.transition)
        #expect(!decision.fullyMuted)
        #expect(signal.isApplied(generation))
        let cut = (0..<960).first { frame[$0] == 0 }!
        #expect(cut <= 480, "the cut must not be later than the request")
        #expect(cut >= 470)
        #expect((cut..<960).allSatisfy { frame[$0] == 0 })
        // The fade-out is at most 5 ms long and ends at the cut.
        #expect(frame[cut - 241] == 10_000)
        #expect(frame[cut - 1] < 10_000)
    }

    @Test("the frame after a mute is entirely silent; an unmute fades in from the request")
    func steadyAndUnmute() {
        let signal = MuteSignal()
        var gate = MuteGate(signal: signal)
        signal.publish(muted: true, mode: .silence, requestedAt: 0)
        let frame = loudFrame()
        defer { frame.deallocate() }
        _ = gate.apply(to: frame, capturedAt: 20_000_000, signal: signal)
        frame.initialize(repeating: 10_000, count: 960)
        let steady = gate.apply(to: frame, capturedAt: 40_000_000, signal: signal)
        #expect(steady.fullyMuted)
        #expect((0..<960).allSatisfy { frame[$0] == 0 })

        signal.publish(muted: false, mode: .silence, requestedAt: 50_000_000)
        frame.initialize(repeating: 10_000, count: 960)
        let unmuted = gate.apply(to: frame, capturedAt: 60_000_000, signal: signal)
        #expect(unmuted.transition)
        #expect((0..<470).allSatisfy { frame[$0] == 0 }, "no audio from before the unmute")
        #expect(frame[959] == 10_000)
    }
}
