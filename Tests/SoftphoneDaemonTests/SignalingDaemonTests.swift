import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

/// REST signaling of the real daemon against the project's emulator of the platform,
/// with the media checked on the wire at the same time.
@Suite("Signaling at daemon level", .serialized)
struct SignalingDaemonTests {
    struct Setup {
        let emulator: APIEmulatorProcess
        let receiver: WireReceiver
        let peer: CallPeer

        func stop() {
            peer.stop()
            receiver.stop()
            emulator.stop()
        }
    }

    /// The emulator, a wire receiver, and softphoned in a static call to the receiver with
    /// signaling to the emulator; waits until the daemon has found the session.
    static func start(pollMilliseconds: Int = 200, environment: [String: String] = [:]) async throws -> Setup {
        let emulator = try await APIEmulatorProcess.sessions()
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        let peer = try await CallPeer(tone: 1000, yaml: """
            call:
              remote: "127.0.0.1:\(receiver.port)"
              srtp-key: "\(receiver.key.inlineKey)"
              media-timeout: 0
            \(emulator.apiYAML(pollMilliseconds: pollMilliseconds))
            """, environment: ["SOFTPHONED_API_CLIENT_SECRET": APIEmulatorProcess.secret].merging(environment) { _, new in new })
        let setup = Setup(emulator: emulator, receiver: receiver, peer: peer)
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline {
            let signaling = CallJSON.object(try await peer.status(), "signaling")
            if signaling?["sessionId"] as? String == emulator.sessionID && signaling?["state"] as? String == "synced" { return setup }
            try await Task.sleep(for: .seconds(0.05))
        }
        let status = try await peer.status()
        setup.stop()
        throw DaemonProcessError("the daemon did not find the platform's session: \(status["signaling"] ?? "none") \(peer.daemon.log)")
    }

    /// Seconds between two monotonic instants.
    static func seconds(_ from: UInt64, _ to: UInt64) -> Double { Double(Int64(bitPattern: to &- from)) / 1e9 }

    @Test("a local mute reaches the platform as PATCH {\"muted\":true}; a supervisor's mute is applied within a poll and announced")
    func localAndRemoteMute() async throws {
        let setup = try await Self.start()
        defer { setup.stop() }
        let (emulator, receiver, peer) = (setup.emulator, setup.receiver, setup.peer)
        #expect(try await receiver.wait(forPackets: 10))

        // Local mute and unmute: the platform follows, with exactly the documented body.
        #expect(try await peer.control.result("mute")["muted"] as? Bool == true)
        #expect(try await emulator.waitForPlatform(muted: true), "the platform never saw the mute")
        #expect(try await peer.control.result("unmute")["muted"] as? Bool == false)
        #expect(try await emulator.waitForPlatform(muted: false), "the platform never saw the unmute")
        let patches = try await emulator.requests().filter { $0["method"] as? String == "PATCH" }
        #expect(patches.map { $0["body"] as? String } == [#"{"muted":true}"#, #"{"muted":false}"#])
        #expect(patches.allSatisfy { ($0["path"] as? String) == "/api/v2/interactive/sessions/\(emulator.sessionID ?? "")" })
        #expect(peer.events.types.filter { $0 == "mute" || $0 == "unmute" } == ["mute", "unmute"])
        #expect(!peer.events.types.contains("remoteMute"), "the daemon took its own PATCH for a remote change")

        // A supervisor mutes the agent on the platform.
        let mark = peer.events.events.count
        let supervisorAt = MonotonicClock.now()
        try await emulator.supervisor(muted: true)
        let remoteMute = try await peer.events.wait(for: "remoteMute", after: mark, timeout: 3)
        #expect(remoteMute?["source"] as? String == "remote" && remoteMute?["muted"] as? Bool == true)
        try await Task.sleep(for: .seconds(0.3))
        let status = try await peer.status()
        #expect(status["muted"] as? Bool == true && status["source"] as? String == "remote")
        // On the wire: exact digital silence within a poll interval and a few frames.
        let afterSupervisor = receiver.received.filter { $0.arrival > supervisorAt }
        let firstSilent = afterSupervisor.firstIndex { $0.peak == 0 }
        try #require(firstSilent != nil, "no silent frame after the supervisor's mute")
        let delay = Self.seconds(supervisorAt, afterSupervisor[firstSilent!].arrival)
        #expect(delay < 0.2 + 0.5, "the remote mute took \(delay) s to reach the wire")
        print("measurement: supervisor mute on the platform -> first silent packet on the wire: \(String(format: "%.0f", delay * 1000)) ms (poll interval 200 ms)")
        // Once silent, silent (the codec's tail is over by the time it reads zero).
        #expect(afterSupervisor[firstSilent!...].allSatisfy { $0.peak == 0 })

        // The supervisor unmutes: announced, and the tone is back.
        let unmark = peer.events.events.count
        let unmutedAt = MonotonicClock.now()
        try await emulator.supervisor(muted: false)
        #expect(try await peer.events.wait(for: "remoteUnmute", after: unmark, timeout: 3) != nil)
        try await Task.sleep(for: .seconds(0.3))
        let tone = receiver.received.filter { $0.arrival > unmutedAt }.suffix(5)
        #expect(tone.count == 5 && tone.allSatisfy { $0.rmsDBFS > -25 }, "no tone after the remote unmute")
        #expect(try await peer.status()["muted"] as? Bool == false)
        // Each remote change is announced once, and the daemon did not echo it back as a PATCH.
        #expect(peer.events.types.filter { $0 == "remoteMute" }.count == 1)
        #expect(peer.events.types.filter { $0 == "remoteUnmute" }.count == 1)
        #expect(try await emulator.requests().filter { $0["method"] as? String == "PATCH" }.count == 2)
        #expect(!peer.daemon.log.contains(APIEmulatorProcess.secret), "the client secret leaked into the log")
    }

    @Test("the API hanging never stalls the media; after it recovers the platform converges to the agent's last state")
    func hangingAPI() async throws {
        let setup = try await Self.start()
        defer { setup.stop() }
        let (emulator, receiver, peer) = (setup.emulator, setup.receiver, setup.peer)
        #expect(try await receiver.wait(forPackets: 10))

        try await emulator.setHanging(true)
        let hangStart = MonotonicClock.now()
        // Let a poll go out and hang first, so the changes below wait behind it.
        try await Task.sleep(for: .seconds(0.3))
        // The agent toggles while the platform does not answer; every reply is immediate.
        for index in 0..<5 {
            let muted = index % 2 == 0
            let reply = try await peer.control.result(muted ? "mute" : "unmute")
            #expect(reply["muted"] as? Bool == muted)
            try await Task.sleep(for: .seconds(0.3))
        }
        try await Task.sleep(for: .seconds(0.5))
        let hangEnd = MonotonicClock.now()
        let signaling = CallJSON.object(try await peer.status(), "signaling")
        #expect(signaling?["state"] as? String != "synced", "signaling claims to be synced while the API hangs: \(String(describing: signaling))")

        // The media kept its pace throughout.
        let during = receiver.received.filter { $0.arrival >= hangStart && $0.arrival <= hangEnd }
        let span = Self.seconds(hangStart, hangEnd)
        #expect(Double(during.count) >= span * 50 * 0.9, "\(during.count) packets in \(span) s while the API hung")
        let gaps = zip(during, during.dropFirst()).map { Self.seconds($0.arrival, $1.arrival) }
        let late = gaps.filter { $0 > 0.030 }
        // Loaded test machines can delay the receiving thread now and then; a stall would show in many.
        #expect(late.count <= 2, "gaps over 30 ms while the API hung: \(late)")
        #expect((gaps.max() ?? 0) < 0.1)
        print("measurement: media while the API hung: \(during.count) packets in \(String(format: "%.2f", span)) s, largest gap \(String(format: "%.1f", (gaps.max() ?? 0) * 1000)) ms, gaps over 30 ms: \(late.count)")
        // The last state (muted) went out on the wire at once.
        #expect(try await peer.status()["muted"] as? Bool == true)
        let tail = receiver.received.filter { $0.arrival > hangEnd }.prefix(3)
        #expect(tail.allSatisfy { $0.peak == 0 })

        // The platform comes back: it converges to the agent's last state, muted.
        try await emulator.setHanging(false)
        let converged = try await emulator.waitForPlatform(muted: true, timeout: 8)
        #expect(converged, "the platform did not converge: \(peer.daemon.log)")
        let deadline = Date().addingTimeInterval(5)
        var state = ""
        while Date() < deadline {
            state = CallJSON.object(try await peer.status(), "signaling")?["state"] as? String ?? ""
            if state == "synced" { break }
            try await Task.sleep(for: .seconds(0.05))
        }
        #expect(state == "synced")
        #expect(!peer.events.types.contains("remoteMute") && !peer.events.types.contains("remoteUnmute"))
        #expect(peer.events.types.contains("signaling"))
    }

    @Test("time from a local mute reply to the platform holding the new state (measured, reported)")
    func muteToPlatformLatency() async throws {
        let setup = try await Self.start()
        defer { setup.stop() }
        let (emulator, peer) = (setup.emulator, setup.peer)
        var latencies: [Double] = []
        for index in 0..<20 {
            let muted = index % 2 == 0
            _ = try await peer.control.result(muted ? "mute" : "unmute")
            let replied = Date()
            #expect(try await emulator.waitForPlatform(muted: muted, timeout: 5))
            latencies.append(Date().timeIntervalSince(replied) * 1000)
            try await Task.sleep(for: .seconds(0.05))
        }
        latencies.sort()
        let median = latencies[latencies.count / 2]
        let p99 = latencies[min(latencies.count - 1, Int((Double(latencies.count) * 0.99).rounded(.up)) - 1)]
        print("measurement: local mute reply -> platform state, \(latencies.count) toggles: median \(String(format: "%.1f", median)) ms, p99 \(String(format: "%.1f", p99)) ms")
        let patches = try await emulator.requests().filter { $0["method"] as? String == "PATCH" }
        #expect(patches.count == 20, "each spaced toggle is one PATCH")
    }
}
