import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Testing

/// The delay the daemon's receive path adds at its minimum jitter-buffer setting: from the
/// instant a far end sends the first packet of a tone to the instant softphoned's playout
/// (`status.stats.outputLevelDBFS`) carries it. It covers the jitter buffer's wait, the
/// phase of the 20 ms playout tick and the decode; with `audio.playback: none` there is no
/// device queue (a real device adds its period on top).
@Suite("Receive path latency", .serialized)
struct CallReceiveLatencyTests {
    @Test("receive path: tone onset on the wire to playout (measured, reported)")
    func onsetToPlayout() async throws {
        let sender = try RTPToneSender()
        defer { sender.stop() }
        let port = try UDPPorts.free()
        let peer = try await CallPeer(tone: 440, yaml: """
            call:
              remote: "127.0.0.1:\(sender.port)"
              local-port: \(port)
              srtp-key: "\(SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80).inlineKey)"
              srtp-remote-key: "\(sender.key.inlineKey)"
              media-timeout: 0
            """)
        defer { peer.stop() }
        sender.send(to: try SocketAddress(host: "127.0.0.1", port: port))
        try await peer.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 10 }

        var latencies: [Double] = []
        for _ in 0..<8 {
            sender.setTone(false)
            let quiet = try await peer.waitForStats(timeout: 3) { (CallJSON.number($0, "outputLevelDBFS") ?? -200) < -60 }
            try #require((CallJSON.number(quiet, "outputLevelDBFS") ?? -200) < -60, "playout never went quiet: \(quiet)")
            try await Task.sleep(for: .seconds(Double.random(in: 0.1...0.2)))
            sender.setTone(true)
            let deadline = Date().addingTimeInterval(3)
            var heardAt: UInt64 = 0
            while Date() < deadline {
                let level = CallJSON.number(try await peer.stats(), "outputLevelDBFS") ?? -200
                if level > -40 {
                    heardAt = MonotonicClock.now()
                    break
                }
            }
            let onset = sender.onset
            try #require(heardAt != 0 && onset != 0, "the tone never reached the playout")
            latencies.append(Double(Int64(bitPattern: heardAt &- onset)) / 1e6)
        }
        latencies.sort()
        let stats = try await peer.stats()
        #expect(CallJSON.number(stats, "authFailures") == 0 && CallJSON.number(stats, "packetsLost") == 0)
        #expect(latencies.allSatisfy { $0 > 0 && $0 < 500 }, "implausible receive-path delays \(latencies)")
        print("measurement: receive path onset -> playout over \(latencies.count) onsets: min \(String(format: "%.1f", latencies.first!)) ms, median \(String(format: "%.1f", latencies[latencies.count / 2])) ms, max \(String(format: "%.1f", latencies.last!)) ms; jitter \(CallJSON.number(stats, "jitterMs") ?? -1) ms")
    }
}
