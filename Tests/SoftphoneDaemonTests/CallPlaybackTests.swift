import DaemonTestSupport
import Foundation
import MediaCore
import MediaTestSupport
import Testing

/// The far end's audio as the agent hears it: a GStreamer sender, softphoned answering its
/// offer, ALSA playback into a PulseAudio null sink, and what the sink's monitor recorded.
@Suite("Playback of a peer we did not write", .serialized)
struct CallPlaybackTests {
    /// Every packet duration a sender is likely to use (`opusenc frame-size=`): each plays
    /// at the right pace, so the tone is heard whole rather than silenced or garbled.
    /// softphoned playing through ALSA's `pulse` PCM into the null sink `sink`, with a tone as
    /// its microphone and SDP that names the loopback address.
    static func playingDaemon(into sink: String) async throws -> DaemonProcess {
        var environment = PulseAudioFixture.environment
        environment["PULSE_SINK"] = sink
        environment["SOFTPHONED_SDP_ADDRESS"] = "127.0.0.1"
        return try await DaemonProcess.start(yaml: """
            audio: { source: "tone:300", playback: "alsa:pulse" }
            call: { media-timeout: 0 }
            log: { level: warning }
            """, environment: environment)
    }

    /// Waits until softphoned has received `wanted` packets — three seconds of a sender that
    /// starts when it likes (gst-launch is slow to start on a loaded machine) — and for what
    /// arrived last to reach the sound server. - Returns: `status.stats` then.
    static func statsOnceReceived(_ wanted: Int, from client: ControlClient, timeout: Double = 15) async throws -> [String: Any] {
        var stats: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            stats = try #require(try await client.result("status")["stats"] as? [String: Any])
        } while (stats["packetsReceived"] as? Int ?? 0) < wanted && Date() < deadline
        try await Task.sleep(for: .milliseconds(500))
        return stats
    }

    @Test("softphoned answers a GStreamer sender's offer and plays its tone through ALSA", arguments: [10, 20, 40, 60])
    func gstreamerToneIsHeard(packetMilliseconds: Int) async throws {
        try PulseAudioFixture.ensureRunning()
        // A sink of its own, so the ALSA tests' tones (which may run at the same time in one
        // `swift test`) never mix into what this test hears.
        let sink = "softphoned_call"
        _ = try PulseAudioFixture.sourceOfItsOwn(sink: sink)
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let senderPort = try UDPPorts.free()
        let daemon = try await Self.playingDaemon(into: sink)
        let client = try ControlClient(path: daemon.socketPath)
        // What GStreamer's side would offer: Opus on PT 111, SDES with the key it sends with.
        let offer = [
            "v=0", "o=- 4242 1 IN IP4 127.0.0.1", "s=gstreamer", "c=IN IP4 127.0.0.1", "t=0 0",
            "m=audio \(senderPort) RTP/SAVP 111", "a=rtpmap:111 OPUS/48000/2", "a=fmtp:111 useinbandfec=1",
            "a=rtcp-mux", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.inlineKey)", "a=sendrecv", "",
        ].joined(separator: "\r\n")
        let answer = try await client.result("call.accept", ["sdp": offer])
        let sdp = try #require(answer["sdp"] as? String)
        let portLine = try #require(sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("m=audio ") })
        let port = try #require(portLine.split(separator: " ").dropFirst().first.flatMap { UInt16($0) })

        let recorder = try PulseAudioFixture.recordMonitor(of: sink)
        let sender = try ExternalProcess("gst-launch-1.0", ["-q",
            "audiotestsrc", "is-live=true", "wave=sine", "freq=660", "volume=0.3",
            "!", "audio/x-raw,rate=48000,channels=1",
            "!", "opusenc", "bitrate=32000", "frame-size=\(packetMilliseconds)",
            "!", "rtpopuspay", "pt=111",
            "!", "srtpenc", "key=\(key.hex)", "rtp-cipher=aes-128-icm", "rtp-auth=hmac-sha1-80",
            "rtcp-cipher=aes-128-icm", "rtcp-auth=hmac-sha1-80",
            "!", "udpsink", "host=127.0.0.1", "port=\(port)", "sync=false", "async=false",
        ])
        let wanted = 3000 / packetMilliseconds
        let stats = try await Self.statsOnceReceived(wanted, from: client)
        // The recording stops first: what follows the sender's end is concealment, not the tone.
        let recorded = try recorder.interruptAndWait(timeout: 5)
        _ = try sender.interruptAndWait(timeout: 5)
        daemon.stop()

        #expect((stats["packetsReceived"] as? Int ?? 0) >= wanted, "\(stats)")
        #expect((stats["authFailures"] as? Int ?? -1) == 0)
        let heard = ToneReport(samples: RawPCM.samples(recorded.standardOutput))
        #expect(heard.isTone(660, tolerance: 5, levels: -40 ... -3), "the null sink's monitor heard \(heard)")
        #expect(heard.activeSeconds() > 1.5, "the monitor heard only \(heard.activeSeconds()) s of audio")
    }
}
