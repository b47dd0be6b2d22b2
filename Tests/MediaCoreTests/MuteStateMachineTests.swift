import MediaCore
import Testing

@Suite("Mute state machine")
struct MuteStateMachineTests {
    @Test("a real change yields one event; repeating it yields none (idempotence)")
    func idempotence() {
        var machine = MuteStateMachine()
        #expect(machine.set(muted: true, source: .local) == .mute)
        #expect(machine.set(muted: true, source: .local) == nil)
        #expect(machine.set(muted: false, source: .local) == .unmute)
        #expect(machine.set(muted: false, source: .local) == nil)
    }

    @Test("remote changes are remoteMute / remoteUnmute with source remote")
    func remote() {
        var machine = MuteStateMachine()
        #expect(machine.set(muted: true, source: .remote) == .remoteMute)
        #expect(machine.state.source == .remote)
        #expect(machine.set(muted: false, source: .remote) == .remoteUnmute)
    }

    @Test("the device's own switch counts as a local-style mute with source device")
    func device() {
        var machine = MuteStateMachine()
        #expect(machine.set(muted: true, source: .device) == .mute)
        #expect(machine.state.source == .device)
    }

    @Test("a mute without a mode uses the configured one; a mode given while muted switches it silently")
    func modes() {
        var machine = MuteStateMachine(mode: .disable)
        machine.set(muted: true, source: .local)
        #expect(machine.state.mode == .disable)
        #expect(machine.set(muted: true, source: .local, mode: .silence) == nil)
        #expect(machine.state.mode == .silence)
        #expect(machine.state.muted)
    }

    @Test("call end resets to mute.initial unless persist-across-calls")
    func callEnd() {
        var resetting = MuteStateMachine(initial: false)
        resetting.set(muted: true, source: .local)
        #expect(resetting.callEnded() == .unmute)
        #expect(!resetting.state.muted)

        var persistent = MuteStateMachine(initial: false, persistAcrossCalls: true)
        persistent.set(muted: true, source: .local)
        #expect(persistent.callEnded() == nil)
        #expect(persistent.state.muted)

        var startsMuted = MuteStateMachine(initial: true)
        #expect(startsMuted.state.muted)
        startsMuted.set(muted: false, source: .local)
        #expect(startsMuted.callEnded() == .mute)
    }

    @Test("toggle always changes something")
    func toggle() {
        var machine = MuteStateMachine()
        #expect(machine.toggle() == .mute)
        #expect(machine.toggle() == .unmute)
    }

    @Test("reloading the default mode leaves a muted line's mode alone")
    func reloadMode() {
        var machine = MuteStateMachine(mode: .silence)
        machine.set(muted: true, source: .local)
        machine.setDefaultMode(.disable)
        #expect(machine.state.mode == .silence)
        machine.set(muted: false, source: .local)
        #expect(machine.state.mode == .disable)
    }
}
