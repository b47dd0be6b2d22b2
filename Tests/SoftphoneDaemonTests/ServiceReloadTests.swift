import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

extension ServiceTests {
    /// SIGHUP during a call (SPEC §6): what can change is applied without a gap in the media,
    /// what cannot is named, and a file that no longer loads is refused.
    @Suite("Reload on SIGHUP")
    struct ReloadTests {
        static func yaml(_ receiver: WireReceiver, source: String, bitrate: Int, mode: String, level: String, poll: Int) -> String {
            """
            audio: { source: "\(source)", playback: none }
            opus: { bitrate: \(bitrate) }
            mute: { mode: \(mode) }
            call:
              remote: "127.0.0.1:\(receiver.port)"
              srtp-key: "\(receiver.key.inlineKey)"
              media-timeout: 0
            api: { poll-interval-ms: \(poll) }
            log: { level: \(level) }
            """
        }

        /// Average bytes per packet over `seconds`, from the daemon's own counters.
        static func bytesPerPacket(_ client: ControlClient, over seconds: Double) async throws -> Double {
            func counters() async throws -> (Int, Int) {
                let stats = try await client.result("status")["stats"] as? [String: Any] ?? [:]
                return (stats["packetsSent"] as? Int ?? 0, stats["bytesSent"] as? Int ?? 0)
            }
            let (p0, b0) = try await counters()
            try await Task.sleep(for: .seconds(seconds))
            let (p1, b1) = try await counters()
            return Double(b1 - b0) / Double(max(1, p1 - p0))
        }

        @Test("mid-call SIGHUP applies bitrate, mute mode, log level and poll interval, names audio.source as needing a restart, and RTP goes on without a gap")
        func reloadMidCall() async throws {
            let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
            defer { receiver.stop() }
            let daemon = try await DaemonProcess.start(yaml: Self.yaml(receiver, source: "tone:1000", bitrate: 64000, mode: "silence", level: "info", poll: 2000))
            #expect(try await receiver.wait(forPackets: 10), "no media: \(daemon.log)")
            let client = try ControlClient(path: daemon.socketPath)
            let before = try await Self.bytesPerPacket(client, over: 0.6)
            #expect(!daemon.log.contains("control connection"), "debug lines before the level was raised")

            let config = daemon.directory.appendingPathComponent("softphoned.yaml")
            let socketLine = "\ncontrol: { socket: \"\(daemon.socketPath)\" }\n"
            try (Self.yaml(receiver, source: "tone:440", bitrate: 12000, mode: "disable", level: "debug", poll: 500) + socketLine)
                .write(to: config, atomically: true, encoding: .utf8)
            daemon.send(SIGHUP)
            #expect(try await eventually { daemon.log.contains("configuration reloaded") }, "\(daemon.log)")
            let reloadLine = daemon.log.split(separator: "\n").first { $0.contains("configuration reloaded") }.map(String.init) ?? ""
            let applied = reloadLine.components(separatedBy: "applied=").dropFirst().first ?? ""
            for key in ["opus.bitrate", "mute.mode", "log.level", "api.poll-interval-ms"] {
                #expect(applied.contains(key), "\(key) should be reported as applied: \(reloadLine)")
            }
            let needsRestart = reloadLine.components(separatedBy: "needsRestart=").dropFirst().first ?? ""
            #expect(needsRestart.contains("audio.source"), "audio.source needs a restart: \(reloadLine)")
            #expect(!needsRestart.contains("opus.bitrate"))

            // Applied: the mode shown, the encoder's rate, the log level.
            let status = try await client.result("status")
            #expect(status["mode"] as? String == "disable")
            #expect(status["call"] is [String: Any], "the call must survive a reload")
            let after = try await Self.bytesPerPacket(client, over: 0.6)
            #expect(after < before * 0.6, "bitrate not applied: \(before) B/packet before, \(after) after")
            let probe = try ControlClient(path: daemon.socketPath)
            _ = try await probe.result("status")
            #expect(try await eventually(timeout: .seconds(3)) { daemon.log.contains("control connection") }, "log.level debug not applied")

            // The source change waits for a restart; media keeps flowing meanwhile.
            let sent = receiver.received.count
            #expect(try await receiver.wait(forPackets: sent + 5))

            // A broken file is refused; the daemon and the call go on with what they had.
            try "opus: { bitrate: [ broken\n".write(to: config, atomically: true, encoding: .utf8)
            daemon.send(SIGHUP)
            #expect(try await eventually { daemon.log.contains("reload refused") }, "\(daemon.log)")
            #expect(daemon.isRunning)
            let still = try await client.result("status")
            #expect(still["mode"] as? String == "disable")
            #expect(still["call"] is [String: Any])
            let count = receiver.received.count
            #expect(try await receiver.wait(forPackets: count + 10), "media stopped after a refused reload")

            #expect(daemon.stop().status == 0)
            receiver.stop()
            // One unbroken stream from the first packet to the BYE: no gap in sequence numbers or timestamps.
            let packets = receiver.received
            try #require(packets.count > 50)
            for index in 1..<packets.count {
                #expect(packets[index].sequence == packets[index - 1].sequence &+ 1, "sequence gap at packet \(index)")
                #expect(packets[index].timestamp == packets[index - 1].timestamp &+ 960, "timestamp jump at packet \(index)")
            }
            #expect(receiver.sawBye)
        }

        @Test("SIGHUP with nothing changed touches no live agent: no mute event, no muted frame, every packet keeps the tone")
        func reloadWithoutChange() async throws {
            let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
            defer { receiver.stop() }
            let daemon = try await DaemonProcess.start(yaml: Self.yaml(receiver, source: "tone:1000", bitrate: 32000, mode: "silence", level: "info", poll: 2000))
            #expect(try await receiver.wait(forPackets: 10), "no media: \(daemon.log)")
            let events = try await EventWatcher(path: daemon.socketPath)
            defer { events.stop() }
            let from = receiver.received.count
            for _ in 0..<5 {
                daemon.send(SIGHUP)
                try await Task.sleep(for: .seconds(0.1))
            }
            #expect(try await eventually { daemon.log.components(separatedBy: "configuration reloaded").count > 5 }, "\(daemon.log)")
            #expect(try await receiver.wait(forPackets: receiver.received.count + 10))
            let packets = receiver.received[(from + 1)...]
            #expect(packets.allSatisfy { $0.rmsDBFS > -25 }, "a packet lost the tone around a reload: \(packets.map(\.rmsDBFS).min() ?? 0) dBFS")
            let stats = try await ControlClient(path: daemon.socketPath).result("status")["stats"] as? [String: Any] ?? [:]
            #expect(stats["mutedFrames"] as? Int == 0)
            #expect(!events.types.contains { ["mute", "unmute"].contains($0) }, "\(events.types)")
        }
    }
}
