import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Testing

/// The capture device's mixer switch and softphoned's mute kept equal both ways (SPEC §3
/// point 6), with a real daemon, the PulseAudio fixture behind ALSA's `pulse` control, and
/// `pactl` (not our code) as the desktop's microphone-mute key.
///
/// Each test mutes a source of its own (the monitor of a null sink only it uses, as the
/// control `pulse:<source>`), so the shared monitor other tests record from is never muted.
/// The microphone is a tone (its samples do not pass through the muted source), so silence
/// on the wire is softphoned's doing, not the sound server's.
@Suite("Mute in step with the desktop and the headset", .serialized, .timeLimit(.minutes(2)))
struct DeviceMuteSyncTests {
    static func desktopMute(_ source: String, _ muted: Bool) throws {
        try PulseAudioFixture.pactl(["set-source-mute", source, muted ? "1" : "0"])
    }

    static func desktopMuted(_ source: String) throws -> Bool { try PulseAudioFixture.isMuted(source: source) }

    static func yaml(mixer: String, mode: String = "silence", call receiver: WireReceiver? = nil, extra: String = "") -> String {
        var text = """
            audio: { source: "tone:1000", playback: none, mixer: "\(mixer)" }
            mute: { mode: \(mode) }
            log: { level: info }
            \(extra)
            """
        if let receiver {
            text += """

                call:
                  remote: "127.0.0.1:\(receiver.port)"
                  srtp-suite: AES_CM_128_HMAC_SHA1_80
                  srtp-key: "\(receiver.key.inlineKey)"
                  media-timeout: 0
                """
        }
        return text
    }

    /// A daemon in a call to a test far end, following the switch of a source of its own,
    /// with a control client and an event subscriber.
    struct SyncedCall {
        let source: String
        let receiver: WireReceiver
        let daemon: DaemonProcess
        let client: ControlClient
        let watcher: EventWatcher

        /// The far end's thread runs at real-time priority where allowed, so the arrival times
        /// the tests compare with the switch's instants do not wait for a busy machine's
        /// scheduler (a packet read late would be dated late).
        init(sink: String, mode: String = "silence") async throws {
            source = try PulseAudioFixture.sourceOfItsOwn(sink: sink)
            let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
            receiver = try await DeviceMuteSyncTests.onRealtimeThread { try WireReceiver(key: key) }
            daemon = try await DaemonProcess.start(yaml: DeviceMuteSyncTests.yaml(mixer: "pulse:\(source)", mode: mode, call: receiver))
            client = try ControlClient(path: daemon.socketPath)
            watcher = try await EventWatcher(path: daemon.socketPath)
            try await DeviceMuteSyncTests.waitUntilFollowing(client)
        }

        func stop() {
            daemon.stop()
            watcher.stop()
            receiver.stop()
        }
    }

    /// Runs `body` on a thread at real-time priority (`SCHED_RR`, as softphoned's media threads
    /// get it as root or with RLIMIT_RTPRIO); threads it starts inherit the priority.
    static func onRealtimeThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                var parameters = sched_param(sched_priority: 10)
                _ = pthread_setschedparam(pthread_self(), Int32(SCHED_RR), &parameters)
                continuation.resume(with: Result { try body() })
            }
            thread.start()
        }
    }

    static func device(_ status: [String: Any]) -> [String: Any] { status["device"] as? [String: Any] ?? [:] }

    /// The `mute`/`unmute` events so far, as (type, source).
    static func muteEvents(_ watcher: EventWatcher) -> [(type: String, source: String)] {
        watcher.events.compactMap { event in
            guard let type = event["type"] as? String, type == "mute" || type == "unmute" else { return nil }
            return (type, event["source"] as? String ?? "")
        }
    }

    /// Waits until the daemon follows the switch (`status.device.sync == active`).
    static func waitUntilFollowing(_ client: ControlClient, switchOn: Bool = true) async throws {
        let following = try await eventually(timeout: .seconds(5)) {
            let device = Self.device(try await client.result("status"))
            return device["sync"] as? String == "active" && device["switch"] as? Bool == switchOn
        }
        let device = Self.device((try? await client.result("status")) ?? [:])
        #expect(following, "status.device: \(device)")
    }

    @Test("pactl set-source-mute mutes and unmutes a live call: events, status, and silence on the wire")
    func desktopMutesTheCall() async throws {
        let call = try await SyncedCall(sink: "softphoned_sync_desktop")
        defer { call.stop() }
        let (source, receiver, daemon, client, watcher) = (call.source, call.receiver, call.daemon, call.client, call.watcher)
        #expect(try await receiver.wait(forPackets: 10), "no media: \(daemon.log)")

        let mutedAt = MonotonicClock.now()
        try Self.desktopMute(source, true)
        let mute = try await #require(watcher.wait(for: "mute", timeout: 5), "no mute event: \(daemon.log)")
        #expect(mute["source"] as? String == "device")
        #expect(mute["muted"] as? Bool == true)
        let muted = try await client.result("status")
        #expect(muted["muted"] as? Bool == true)
        #expect(muted["source"] as? String == "device")
        #expect(Self.device(muted)["switch"] as? Bool == false)

        try await Task.sleep(for: .seconds(0.6))
        let unmutedAt = MonotonicClock.now()
        try Self.desktopMute(source, false)
        let unmute = try await #require(watcher.wait(for: "unmute", timeout: 5), "no unmute event: \(daemon.log)")
        #expect(unmute["source"] as? String == "device")
        let live = try await client.result("status")
        #expect(live["muted"] as? Bool == false)
        #expect(Self.device(live)["switch"] as? Bool == true)
        try await Task.sleep(for: .seconds(0.4))
        daemon.stop()

        // Exactly one event each way: the daemon's own view of the switch is no new change.
        #expect(Self.muteEvents(watcher).map(\.type) == ["mute", "unmute"], "\(Self.muteEvents(watcher))")
        // On the wire: from the cut frame's successors past the codec's delay (100 ms after
        // the switch leaves the frame in flight, the cut frame and two frames of Opus tail)
        // until the unmute, nothing but digital silence; the tone again after the unmute.
        let packets = receiver.received
        let silent = packets.filter { $0.arrival > mutedAt + 100_000_000 && $0.arrival < unmutedAt }
        #expect(silent.count >= 15, "only \(silent.count) packets while muted")
        #expect(silent.allSatisfy { $0.peak == 0 }, "audio while the desktop had the microphone muted: \(silent.map(\.peak))")
        let after = packets.filter { $0.arrival > unmutedAt + 100_000_000 }
        #expect(!after.isEmpty && after.allSatisfy { $0.rmsDBFS > -25 }, "the tone did not come back: \(after.map(\.rmsDBFS))")
        #expect(receiver.authenticationFailures == 0)
    }

    @Test("mute and unmute on the control socket change what pactl get-source-mute reports, with one event each")
    func controlSetsTheSwitch() async throws {
        let call = try await SyncedCall(sink: "softphoned_sync_control")
        defer { call.stop() }
        let (source, receiver, daemon, client, watcher) = (call.source, call.receiver, call.daemon, call.client, call.watcher)

        _ = try await client.result("mute")
        #expect(try await eventually(timeout: .seconds(2)) { try Self.desktopMuted(source) }, "the source was not muted: \(daemon.log)")
        #expect(try await eventually(timeout: .seconds(2)) { Self.device(try await client.result("status"))["switch"] as? Bool == false })
        _ = try await client.result("unmute")
        #expect(try await eventually(timeout: .seconds(2)) { try !Self.desktopMuted(source) }, "the source stayed muted")
        _ = try await client.result("unmute")
        try await Task.sleep(for: .seconds(0.3))
        #expect(try !Self.desktopMuted(source))
        let status = try await client.result("status")
        #expect(status["muted"] as? Bool == false)
        #expect(status["source"] as? String == "local")
        daemon.stop()
        // The switch's own notifications of these writes are not taken as the device's changes.
        let events = Self.muteEvents(watcher)
        #expect(events.map(\.type) == ["mute", "unmute"], "\(events)")
        #expect(events.allSatisfy { $0.source == "local" }, "\(events)")
    }

    @Test("rapid toggling from the control socket and the desktop at once settles in step, without an echo")
    func rapidTogglingBothSides() async throws {
        let call = try await SyncedCall(sink: "softphoned_sync_rapid")
        defer { call.stop() }
        let (source, receiver, daemon, client, watcher) = (call.source, call.receiver, call.daemon, call.client, call.watcher)

        let toggles = 20
        let desktopFailures = LockedData()
        let desktopDone = LockedBox(false)
        let desktop = Thread {
            for _ in 0..<toggles {
                Thread.sleep(forTimeInterval: Double.random(in: 0.005...0.04))
                do { try PulseAudioFixture.pactl(["set-source-mute", source, "toggle"]) } catch { desktopFailures.append(Data("\(error)\n".utf8)) }
            }
            desktopDone.set(true)
        }
        desktop.start()
        for _ in 0..<toggles {
            try await Task.sleep(for: .seconds(Double.random(in: 0.005...0.04)))
            _ = try await client.result("toggle")
        }
        while !desktopDone.value { try await Task.sleep(for: .milliseconds(10)) }
        #expect(desktopFailures.string.isEmpty, "\(desktopFailures.string)")

        // Settled: the daemon and the sound server agree, and nothing changes any more.
        try await Task.sleep(for: .seconds(0.5))
        let settled = Self.muteEvents(watcher).count
        try await Task.sleep(for: .seconds(0.7))
        let status = try await client.result("status")
        let muted = try #require(status["muted"] as? Bool)
        let sourceMuted = try Self.desktopMuted(source)
        #expect(sourceMuted == muted, "daemon muted: \(muted), source muted: \(sourceMuted)")
        #expect(Self.device(status)["switch"] as? Bool == !muted)
        let events = Self.muteEvents(watcher)
        #expect(events.count == settled, "events kept coming after both sides stopped: \(events[settled...].map(\.type))")
        // Each action makes at most one event (our own writes none), and every event is a real
        // change: mute and unmute alternate.
        #expect(events.count <= 2 * toggles, "\(events.count) events for \(2 * toggles) actions")
        for (previous, next) in zip(events, events.dropFirst()) {
            #expect(previous.type != next.type, "two \(next.type) events in a row: \(events.map(\.type))")
        }
        daemon.stop()
    }

    @Test("the platform is told of the desktop's mute as of a local one; a supervisor's mute and unmute set the switch")
    func platformBothWays() async throws {
        let source = try PulseAudioFixture.sourceOfItsOwn(sink: "softphoned_sync_platform")
        let setup = try await SignalingDaemonTests.start(environment: ["SOFTPHONED_AUDIO_MIXER": "pulse:\(source)"])
        defer { setup.stop() }
        let (emulator, peer) = (setup.emulator, setup.peer)
        try await Self.waitUntilFollowing(peer.control)

        try Self.desktopMute(source, true)
        #expect(try await emulator.waitForPlatform(muted: true), "the platform never saw the desktop's mute")
        #expect(try await peer.events.wait(for: "mute")?["source"] as? String == "device")
        try await emulator.supervisor(muted: false)
        #expect(try await peer.events.wait(for: "remoteUnmute", timeout: 3) != nil)
        #expect(try await eventually(timeout: .seconds(2)) { try !Self.desktopMuted(source) }, "the supervisor's unmute left the source muted")
        try await emulator.supervisor(muted: true)
        #expect(try await peer.events.wait(for: "remoteMute", timeout: 3) != nil)
        #expect(try await eventually(timeout: .seconds(2)) { try Self.desktopMuted(source) }, "the supervisor's mute did not reach the source")
        try await Task.sleep(for: .seconds(0.3))
        // One event per change: the switch following the platform is not a change of its own.
        #expect(Self.muteEvents(peer.events).map(\.type) == ["mute"], "\(Self.muteEvents(peer.events))")
        #expect(peer.events.types.filter { $0.hasPrefix("remote") } == ["remoteUnmute", "remoteMute"], "\(peer.events.types)")
    }

    @Test("a call started with the desktop's microphone muted starts muted and says so; between calls the switch stays as set")
    func callStartRule() async throws {
        let source = try PulseAudioFixture.sourceOfItsOwn(sink: "softphoned_sync_callstart")
        let daemon = try await DaemonProcess.start(yaml: Self.yaml(mixer: "pulse:\(source)"))
        let client = try ControlClient(path: daemon.socketPath)
        let watcher = try await EventWatcher(path: daemon.socketPath)
        defer { watcher.stop() }
        try await Self.waitUntilFollowing(client)
        let first = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { first.stop() }
        _ = try await client.result("call.start", ["remote": "127.0.0.1:\(first.port)",
                                             "srtp": ["suite": "AES_CM_128_HMAC_SHA1_80", "key": first.key.inlineKey]])
        #expect(try await first.wait(forPackets: 5))
        try Self.desktopMute(source, true)
        #expect(try await watcher.wait(for: "mute", timeout: 5) != nil)
        _ = try await client.result("call.hangup")
        // The reset at call end (mute.initial is false) leaves the desktop's mute alone.
        #expect(try await watcher.wait(for: "callEnded", timeout: 5) != nil)
        try await Task.sleep(for: .seconds(0.3))
        #expect(try Self.desktopMuted(source), "the call's end unmuted the desktop's microphone")
        let idle = try await client.result("status")
        #expect(idle["muted"] as? Bool == false)
        #expect(Self.device(idle)["switch"] as? Bool == false)

        let mark = watcher.events.count
        let second = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { second.stop() }
        _ = try await client.result("call.start", ["remote": "127.0.0.1:\(second.port)",
                                             "srtp": ["suite": "AES_CM_128_HMAC_SHA1_80", "key": second.key.inlineKey]])
        #expect(try await second.wait(forPackets: 25))
        let status = try await client.result("status")
        #expect(status["muted"] as? Bool == true)
        #expect(status["source"] as? String == "device")
        daemon.stop()
        let later = Array(watcher.events[mark...])
        let types = later.compactMap { $0["type"] as? String }
        // Says so: a `mute` from the device before `callStarted`, which shows the call muted.
        #expect(types.prefix(2) == ["mute", "callStarted"], "\(types)")
        #expect(later.first?["source"] as? String == "device")
        #expect(later.first { $0["type"] as? String == "callStarted" }?["muted"] as? Bool == true)
        // Muted from its very first frame.
        let packets = second.received
        #expect(packets.count >= 25)
        #expect(packets.allSatisfy { $0.peak == 0 }, "the call started with audio: \(packets.prefix(10).map(\.peak))")
    }

    @Test("switch → first muted packet and switch → first live packet within 40 ms at p95 (disable mode, on the wire)")
    func latency() async throws {
        let call = try await SyncedCall(sink: "softphoned_sync_latency", mode: "disable")
        defer { call.stop() }
        let (source, receiver, daemon) = (call.source, call.receiver, call.daemon)
        #expect(try await receiver.wait(forPackets: 10))
        // The desktop: a client of the sound server in this process, through alsa-lib's
        // `pulse` control, which returns once the server has applied the change.
        let desktop = try CaptureMixer(name: "pulse:\(source)")
        desktop.start { _ in }
        defer { desktop.stop() }
        #expect(try await eventually(timeout: .seconds(5)) { desktop.state.phase != .starting } && desktop.state.phase == .attached)

        var mutes: [Double] = [], unmutes: [Double] = []
        let toggles = 20
        for _ in 0..<toggles {
            try await Task.sleep(for: .seconds(Double.random(in: 0.06...0.1)))
            let muteAt = MonotonicClock.now()
            desktop.setSwitch(false)
            try await Task.sleep(for: .seconds(Double.random(in: 0.09...0.12)))
            let unmuteAt = MonotonicClock.now()
            // As in the control-plane benchmark: the last packet before the gap is the one the
            // cut was applied to; at a frame boundary that packet is suppressed, and the instant
            // it was due (the previous arrival + 20 ms) is counted instead.
            let last = try #require(receiver.received.last { $0.arrival < unmuteAt })
            mutes.append(Double(last.arrival >= muteAt ? last.arrival - muteAt : last.arrival + 20_000_000 - muteAt) / 1e6)
            desktop.setSwitch(true)
            let deadline = Date().addingTimeInterval(2)
            while receiver.received.last.map({ $0.arrival < unmuteAt }) ?? true, Date() < deadline {
                try await Task.sleep(for: .seconds(0.001))
            }
            let first = try #require(receiver.received.first { $0.arrival >= unmuteAt }, "no media after the unmute")
            #expect(first.marker)
            unmutes.append(Double(first.arrival - unmuteAt) / 1e6)
        }
        daemon.stop()
        print("switch → last packet (ms): \(mutes.sorted().map { String(format: "%.1f", $0) })")
        print("switch → first packet (ms): \(unmutes.sorted().map { String(format: "%.1f", $0) })")
        // The bound at the 95th percentile: at most one of the 20 above it. Under a load
        // average of 5–6 from other builds on the 2 cores, one toggle in about 100 took longer
        // (49 ms, once, while the far end's thread still ran at normal priority).
        #expect(mutes.filter { $0 > 40 }.count <= toggles / 20, "\(mutes.sorted())")
        #expect(unmutes.filter { $0 > 40 }.count <= toggles / 20, "\(unmutes.sorted())")
    }

    @Test("capturing from ALSA's pulse PCM, the pulse control of the same source is followed without audio.mixer")
    func derivedFromThePulsePCM() async throws {
        let source = try PulseAudioFixture.sourceOfItsOwn(sink: "softphoned_sync_pcm")
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { receiver.stop() }
        var environment = PulseAudioFixture.environment
        environment["PULSE_SOURCE"] = source
        let daemon = try await DaemonProcess.start(yaml: Self.yaml(mixer: "", call: receiver)
            .replacingOccurrences(of: "source: \"tone:1000\"", with: "source: \"alsa:pulse\""), environment: environment)
        let client = try ControlClient(path: daemon.socketPath)
        #expect(try await receiver.wait(forPackets: 10), "no media from alsa:pulse: \(daemon.log)")
        try await Self.waitUntilFollowing(client)
        #expect(Self.device(try await client.result("status"))["mixer"] as? String == "pulse:\(source)")
        try Self.desktopMute(source, true)
        #expect(try await eventually(timeout: .seconds(3)) { try await client.result("status")["source"] as? String == "device" })
        daemon.stop()
    }

    /// A daemon whose mixer is `ctl.<name>`, ALSA's remap control over the sound server's
    /// `pulse:<source>` control with its capture controls renamed: how other devices' mixers
    /// look (a headset's `Mic`, a microphone without any capture switch), on the same server.
    static func remappedDaemon(name: String, source: String, renaming: [(from: String, to: String)]) async throws -> DaemonProcess {
        try PulseAudioFixture.ensureRunning()
        let directory = try DaemonProcess.makeDirectory()
        let rules = renaming.map { "    \"name='\($0.from)'\" \"name='\($0.to)'\"" }.joined(separator: "\n")
        try """
            ctl.\(name) {
              type remap
              child "pulse:\(source)"
              remap {
            \(rules)
              }
            }
            """.write(to: directory.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        return try await DaemonProcess.start(yaml: yaml(mixer: name), environment: ["HOME": directory.path], directory: directory)
    }

    @Test("a headset-style Mic capture switch is found and followed")
    func headsetMicSwitch() async throws {
        let source = try PulseAudioFixture.sourceOfItsOwn(sink: "softphoned_sync_headset")
        let daemon = try await Self.remappedDaemon(name: "headset", source: source, renaming: [
            ("Capture Switch", "Mic Capture Switch"), ("Capture Volume", "Mic Capture Volume"),
        ])
        let client = try ControlClient(path: daemon.socketPath)
        try await Self.waitUntilFollowing(client)
        #expect(Self.device(try await client.result("status"))["element"] as? String == "Mic")
        try Self.desktopMute(source, true)
        #expect(try await eventually(timeout: .seconds(3)) { try await client.result("status")["muted"] as? Bool == true })
        _ = try await client.result("unmute")
        #expect(try await eventually(timeout: .seconds(2)) { try !Self.desktopMuted(source) })
        daemon.stop()
    }

    @Test("a device without a capture switch is used as is, and status says so")
    func noCaptureSwitch() async throws {
        // A mixer with no capture switch, as many built-in microphones have.
        let daemon = try await Self.remappedDaemon(name: "noswitch", source: PulseAudioFixture.monitorName, renaming: [
            ("Capture Switch", "Boost Playback Switch"), ("Capture Volume", "Boost Playback Volume"),
        ])
        let client = try ControlClient(path: daemon.socketPath)
        let watcher = try await EventWatcher(path: daemon.socketPath)
        defer { watcher.stop() }
        let noSwitch = try await eventually(timeout: .seconds(5)) { Self.device(try await client.result("status"))["sync"] as? String == "no-switch" }
        let device = Self.device(try await client.result("status"))
        #expect(noSwitch, "\(device) \(daemon.log)")
        #expect(device["mixer"] as? String == "noswitch")
        #expect(device.keys.contains("switch") && device["switch"] is NSNull, "\(device)")
        let shown = try await ServiceTests.softphonectl(["--socket", daemon.socketPath, "status"])
        #expect(shown.stdout.contains("device: noswitch has no capture switch (used as is)"), "\(shown.stdout)")
        #expect(try await client.result("mute")["muted"] as? Bool == true)
        #expect(try await client.result("unmute")["muted"] as? Bool == false)
        daemon.stop()
        #expect(!watcher.types.contains("deviceError"), "\(watcher.events)")
    }

    @Test("mute.sync-device: false leaves the switch and the mute state to themselves")
    func syncOff() async throws {
        let source = try PulseAudioFixture.sourceOfItsOwn(sink: "softphoned_sync_off")
        let daemon = try await DaemonProcess.start(yaml: Self.yaml(mixer: "pulse:\(source)", extra: "mute: { sync-device: false }")
            .replacingOccurrences(of: "mute: { mode: silence }\n", with: ""))
        let client = try ControlClient(path: daemon.socketPath)
        #expect(Self.device(try await client.result("status"))["sync"] as? String == "disabled")
        _ = try await client.result("mute")
        try await Task.sleep(for: .seconds(0.3))
        #expect(try !Self.desktopMuted(source))
        _ = try await client.result("unmute")
        try Self.desktopMute(source, true)
        try await Task.sleep(for: .seconds(0.3))
        #expect(try await client.result("status")["muted"] as? Bool == false)
        daemon.stop()
    }

    @Test("a sound server that goes away is reported (deviceError) and re-attached when it comes back, with the call's state")
    func mixerDisappears() async throws {
        // A server of this test's own: it is stopped and started again.
        let server = PulseAudioServer(directory: "/tmp/softphoned-pulse-\(getuid())-sync")
        try server.start()
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { receiver.stop() }
        let daemon = try await DaemonProcess.start(yaml: Self.yaml(mixer: "pulse", call: receiver), environment: server.environment)
        let client = try ControlClient(path: daemon.socketPath)
        let watcher = try await EventWatcher(path: daemon.socketPath)
        defer { watcher.stop() }
        try await Self.waitUntilFollowing(client)

        #expect(try await client.result("mute")["muted"] as? Bool == true)
        #expect(try await eventually(timeout: .seconds(2)) { try server.pactl(["get-source-mute", PulseAudioFixture.monitorName]).contains("yes") })

        // Gone: noticed by itself, without waiting for the switch to be used.
        try server.stop()
        let error = try await #require(watcher.wait(for: "deviceError", timeout: 2), "no deviceError: \(daemon.log)")
        #expect(error["mixer"] as? String == "pulse")
        #expect(Self.device(try await client.result("status"))["sync"] as? String == "unavailable")

        // Back, as a fresh server whose source is live: the muted call turns it off again.
        try server.start()
        #expect(try !server.pactl(["get-source-mute", PulseAudioFixture.monitorName]).contains("yes"))
        let recovered = try await #require(watcher.wait(for: "deviceRecovered", timeout: 10), "no deviceRecovered: \(daemon.log)")
        #expect(recovered["mixer"] as? String == "pulse")
        #expect(try await eventually(timeout: .seconds(3)) { try server.pactl(["get-source-mute", PulseAudioFixture.monitorName]).contains("yes") },
                "\(daemon.log)")
        let status = try await client.result("status")
        #expect(status["muted"] as? Bool == true)
        #expect(Self.device(status)["sync"] as? String == "active")
        #expect(Self.device(status)["switch"] as? Bool == false)
        daemon.stop()
        try? server.stop()
    }
}
