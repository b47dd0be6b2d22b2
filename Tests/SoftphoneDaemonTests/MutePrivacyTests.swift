import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

/// The mute guarantees checked on the wire: every packet that left softphoned's socket is
/// authenticated, decrypted and decoded, and compared with the instants the control
/// socket's replies were written.
@Suite("Mute privacy and latency on the wire", .serialized)
struct MutePrivacyTests {
    struct Cycle {
        /// `packetsSent` in the `mute` reply: packets 0..<sentAtMute left before the reply.
        var sentAtMute: Int
        var unmuteRequestedAt: UInt64
        var sentAtUnmute: Int
    }

    /// Starts softphoned with a 1 kHz tone as the microphone and a static call to `receiver`.
    static func startDaemon(to receiver: WireReceiver, mode: String) async throws -> DaemonProcess {
        try await DaemonProcess.start(yaml: """
            audio: { source: "tone:1000", playback: none }
            mute: { mode: \(mode) }
            call:
              remote: "127.0.0.1:\(receiver.port)"
              srtp-suite: AES_CM_128_HMAC_SHA1_80
              srtp-key: "\(receiver.key.inlineKey)"
              media-timeout: 0
            log: { level: warning }
            """)
    }

    /// Mutes and unmutes at random instants through the control socket.
    static func toggle(_ client: ControlClient, count: Int, mode: String) async throws -> [Cycle] {
        var cycles: [Cycle] = []
        for _ in 0..<count {
            try await Task.sleep(for: .seconds(Double.random(in: 0.06...0.2)))
            let muted = try await client.result("mute", ["mode": mode])
            #expect(muted["muted"] as? Bool == true)
            let sentAtMute = ((muted["stats"] as? [String: Any])?["packetsSent"] as? Int) ?? -1
            try await Task.sleep(for: .seconds(Double.random(in: 0.12...0.3)))
            let unmuteRequestedAt = MonotonicClock.now()
            let unmuted = try await client.result("unmute")
            #expect(unmuted["muted"] as? Bool == false)
            let sentAtUnmute = ((unmuted["stats"] as? [String: Any])?["packetsSent"] as? Int) ?? -1
            cycles.append(Cycle(sentAtMute: sentAtMute, unmuteRequestedAt: unmuteRequestedAt, sentAtUnmute: sentAtUnmute))
        }
        return cycles
    }

    /// Runs a call against a test far end and toggles mute `toggles` times.
    static func record(mode: String, toggles: Int) async throws -> (WireReceiver, [Cycle]) {
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { receiver.stop() }
        let daemon = try await startDaemon(to: receiver, mode: mode)
        #expect(try await receiver.wait(forPackets: 10), "no media arrived: \(daemon.log)")
        let client = try ControlClient(path: daemon.socketPath)
        let cycles = try await toggle(client, count: toggles, mode: mode)
        try await Task.sleep(for: .seconds(0.2))
        daemon.stop()
        return (receiver, cycles)
    }

    @Test("silence mode: after each mute reply, every frame past the codec delay is exact digital silence; RTP never stops")
    func silenceMode() async throws {
        let (receiver, cycles) = try await Self.record(mode: "silence", toggles: 20)
        let packets = receiver.received
        try #require(packets.count > 200)
        #expect(receiver.authenticationFailures == 0)
        let first = packets[0]
        // Continuous sequence numbers and timestamps throughout: silence mode never stops RTP.
        for (index, packet) in packets.enumerated() {
            #expect(packet.sequence == first.sequence &+ UInt16(truncatingIfNeeded: index), "sequence gap at packet \(index)")
            #expect(packet.timestamp == first.timestamp &+ UInt32(truncatingIfNeeded: index * 960), "timestamp jump at packet \(index)")
        }
        var checked = 0
        for cycle in cycles {
            // Frames sentAtMute and +1 may hold audio from before the request; +2 and +3 carry the
            // decoder's tail of it (Opus' algorithmic delay). From +4 on: nothing but zeros, up to
            // the last frame certainly sent before the unmute request.
            let silent = (cycle.sentAtMute + 4)..<max(cycle.sentAtMute + 4, cycle.sentAtUnmute - 2)
            for index in silent where index < packets.count {
                #expect(packets[index].peak == 0, "packet \(index) after a mute carried audio (peak \(packets[index].peak))")
                checked += 1
            }
            // Latency: the frame two after the reply already carries only the codec's tail.
            if cycle.sentAtMute + 3 < packets.count {
                #expect(packets[cycle.sentAtMute + 3].rmsDBFS < -40, "muting took effect late")
            }
        }
        #expect(checked > 60, "too few muted frames were checked (\(checked))")
        // And the tone is really there when unmuted.
        let live = packets.suffix(5)
        #expect(live.allSatisfy { $0.rmsDBFS > -25 })
    }

    @Test("disable mode: no RTP while muted; on unmute sequence +1, timestamp advanced by the real gap, marker set")
    func disableMode() async throws {
        let (receiver, cycles) = try await Self.record(mode: "disable", toggles: 15)
        let packets = receiver.received
        try #require(packets.count > 50)
        for cycle in cycles {
            // Whatever arrived before the unmute request: at most the frame being encoded and the
            // one partly captured before the request.
            let beforeUnmute = packets.indices.filter { packets[$0].arrival < cycle.unmuteRequestedAt }
            if let last = beforeUnmute.last {
                #expect(last <= cycle.sentAtMute + 1, "packet \(last) was sent while muted (mute reply at \(cycle.sentAtMute))")
            }
        }
        // Every packet is +1 in sequence; a gap in time shows as a timestamp jump with the marker set.
        var gaps = 0
        for i in 1..<packets.count {
            #expect(packets[i].sequence == packets[i - 1].sequence &+ 1)
            let step = packets[i].timestamp &- packets[i - 1].timestamp
            #expect(step % 960 == 0)
            if step > 960 {
                gaps += 1
                #expect(packets[i].marker, "the first packet after a disable-mode gap must carry the marker bit")
                let elapsed = Double(packets[i].arrival - packets[i - 1].arrival) / 1e9
                let stamped = Double(step) / 48_000
                #expect(abs(elapsed - stamped) < 0.06, "timestamp advanced \(stamped) s for a \(elapsed) s gap")
            } else if i > 1 {
                #expect(!packets[i].marker)
            }
        }
        #expect(gaps >= 10, "expected a gap per mute, saw \(gaps)")
    }
}
