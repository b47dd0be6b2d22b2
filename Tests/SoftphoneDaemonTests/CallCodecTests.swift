import DaemonTestSupport
import Foundation
import MediaCore
import MediaTestSupport
import Testing

/// The codecs and tones a PBX expects, end to end through the daemon: a PBX's offer
/// answered in kind, a GStreamer sender's G.711/G.722 heard through ALSA (in the playback
/// suite, below), RFC 4733 digits
/// sent (read back byte for byte at the far end) and received (from GStreamer's rtpdtmfsrc).
@Suite("Codecs a PBX expects, and DTMF", .serialized)
struct CallCodecTests {
    /// A PBX-style offer: `formats` on RTP/SAVP, telephone-event at 8000 (and at 48000 for Opus).
    static func offer(port: UInt16, formats: String, key: SRTPMasterKey, version: Int = 1) -> String {
        [
            "v=0", "o=- 4343 \(version) IN IP4 127.0.0.1", "s=pbx", "c=IN IP4 127.0.0.1", "t=0 0",
            "m=audio \(port) RTP/SAVP \(formats)",
            "a=rtpmap:111 opus/48000/2", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
            "a=rtpmap:110 telephone-event/48000", "a=fmtp:110 0-16", "a=ptime:20",
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.inlineKey)", "a=sendrecv", "",
        ].joined(separator: "\r\n")
    }

    /// softphoned with a tone as its microphone, no playback, no media timeout, and SDP that
    /// names the loopback address.
    static func daemon(tone: Int) async throws -> DaemonProcess {
        try await DaemonProcess.start(yaml: """
            audio: { source: "tone:\(tone)", playback: "none" }
            call: { media-timeout: 0 }
            log: { level: warning }
            """, environment: ["SOFTPHONED_SDP_ADDRESS": "127.0.0.1"])
    }

    /// The answer's audio port and formats.
    static func mediaLine(_ sdp: String) throws -> (port: UInt16, formats: [String]) {
        let line = try #require(sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("m=audio ") })
        let fields = line.split(separator: " ").map(String.init)
        return (try #require(UInt16(fields[1])), Array(fields.dropFirst(3)))
    }

    /// One RFC 4733 event as the far end reads it, §2.3 byte for byte, grouped by timestamp.
    struct ReadEvent: Equatable {
        var event: UInt8
        var duration: Int
        var endPackets: Int
        var markerOnFirst: Bool
    }

    static func readEvents(_ packets: [WireReceiver.Packet], payloadType: UInt8) -> [ReadEvent] {
        var order: [UInt32] = []
        var events: [UInt32: ReadEvent] = [:]
        for packet in packets.sorted(by: { Int16(bitPattern: $1.sequence &- $0.sequence) > 0 })
        where packet.payloadType == payloadType && packet.payload.count >= 4 {
            let bytes = packet.payload
            let end = bytes[1] & 0x80 != 0
            let duration = Int(bytes[2]) << 8 | Int(bytes[3])
            if var known = events[packet.timestamp] {
                known.duration = max(known.duration, duration)
                known.endPackets += end ? 1 : 0
                events[packet.timestamp] = known
            } else {
                order.append(packet.timestamp)
                events[packet.timestamp] = ReadEvent(event: bytes[0], duration: duration, endPackets: end ? 1 : 0, markerOnFirst: packet.marker)
            }
        }
        return order.compactMap { events[$0] }
    }

    @Test("every digit sent while muted (disable) reaches the far end once, marked, with three end packets and its duration",
          arguments: [("0 101", UInt8(101), 8000), ("111 110", UInt8(110), 48000)])
    func digitsAreSent(formats: String, payloadType: UInt8, clock: Int) async throws {
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let far = try WireReceiver()
        defer { far.stop() }
        let daemon = try await Self.daemon(tone: 440)
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        // Muted before the call, in the mode that sends no audio at all: only digits leave.
        _ = try await client.result("mute", ["mode": "disable"])
        let answer = try #require(try await client.result("call.accept", ["sdp": Self.offer(port: far.port, formats: formats, key: key)])["sdp"] as? String)
        // The far end decrypts with the key softphoned sends with: the one in its answer.
        far.start(key: try Self.sendingKey(in: answer))
        let digits = "0123456789*#ABCD"
        let queued = try await client.result("call.dtmf", ["digits": digits])
        #expect(queued["queued"] as? Int == digits.count)
        // 16 digits of 100 ms, 60 ms of end packets and a 70 ms gap each.
        try await Task.sleep(for: .seconds(16 * 0.25 + 0.5))
        let packets = far.received
        let events = Self.readEvents(packets, payloadType: payloadType)
        #expect(events.map(\.event) == digits.map { TelephoneEvent.event(for: $0)! }, "\(events)")
        for event in events {
            #expect(abs(event.duration * 1000 / clock - 100) <= 10, "\(event)")
            #expect(event.endPackets == 3 && event.markerOnFirst, "\(event)")
        }
        #expect(packets.allSatisfy { $0.payloadType == payloadType }, "audio left while muted in disable mode")
    }

    /// The key of the answer's `a=crypto` line.
    static func sendingKey(in sdp: String) throws -> SRTPMasterKey {
        let line = try #require(sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=crypto:") })
        let fields = line.split(separator: " ")
        let suite = try #require(SRTPSuite(name: String(fields[1])))
        return try SRTPMasterKey(suite: suite, inline: String(fields[2]))
    }

    @Test("G.711 silence mute: past the resampler's 5 ms every muted packet is µ-law 0xFF; a re-offer from Opus to PCMU keeps the mute and the stream")
    func muteAcrossCodecSwitch() async throws {
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let far = try WireReceiver()
        defer { far.stop() }
        let daemon = try await Self.daemon(tone: 1000)
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        let first = try #require(try await client.result("call.accept", ["sdp": Self.offer(port: far.port, formats: "111 0 101", key: key)])["sdp"] as? String)
        #expect(try Self.mediaLine(first).formats == ["111", "110"] || (try Self.mediaLine(first).formats.first) == "111", "\(first)")
        far.start(key: try Self.sendingKey(in: first))
        #expect(try await far.wait(forPackets: 20), "no media arrived: \(daemon.log)")
        _ = try await client.result("mute")
        // The same session, one version on, now PCMU only: the codec changes under the mute.
        _ = try await client.result("call.accept", ["sdp": Self.offer(port: far.port, formats: "0 101", key: key, version: 2)])
        let status = try await client.result("status")
        #expect((status["call"] as? [String: Any])?["codec"] as? String == "pcmu")
        #expect(status["muted"] as? Bool == true, "the mute outlived the renegotiation")
        try await Task.sleep(for: .seconds(0.4))
        func sent(_ reply: [String: Any]) -> Int { ((reply["stats"] as? [String: Any])?["packetsSent"] as? Int) ?? -1 }
        // Mute edges within PCMU.
        var cycles: [(muted: Int, unmuted: Int)] = []
        for _ in 0..<8 {
            let unmuted = sent(try await client.result("unmute"))
            try await Task.sleep(for: .seconds(Double.random(in: 0.1...0.25)))
            let muted = sent(try await client.result("mute"))
            cycles.append((muted, unmuted))
            try await Task.sleep(for: .seconds(Double.random(in: 0.12...0.3)))
        }
        try await Task.sleep(for: .seconds(0.2))
        daemon.stop()
        let packets = far.received
        try #require(packets.count > 150)
        #expect(far.authenticationFailures == 0)
        // One stream throughout: one SSRC, consecutive sequence numbers across the switch.
        #expect(Set(packets.map(\.ssrc)).count == 1)
        for (index, packet) in packets.enumerated() {
            #expect(packet.sequence == packets[0].sequence &+ UInt16(truncatingIfNeeded: index), "sequence gap at packet \(index)")
        }
        let switchedAt = try #require(packets.firstIndex { $0.payloadType == 0 })
        #expect(packets[switchedAt...].allSatisfy { $0.payloadType == 0 && $0.payload.count == 160 })
        // Muted since before the switch: every PCMU packet up to the first unmute is silence.
        // (The packet before an unmute reply may already carry audio: the reply follows the change.)
        let silentUntil = cycles[0].unmuted - 2
        #expect(packets[switchedAt..<min(silentUntil, packets.count)].allSatisfy { $0.payload.allSatisfy { $0 == 0xFF } })
        for (index, cycle) in cycles.enumerated() {
            // Packet `muted` may hold audio captured before the request, `muted + 1` the
            // resampler's 5 ms tail of it; from `muted + 2` to the frames before the next
            // unmute reply: 0xFF only.
            let next = index + 1 < cycles.count ? cycles[index + 1].unmuted : packets.count
            let silent = (cycle.muted + 2)..<max(cycle.muted + 2, min(next - 2, packets.count))
            let loud = packets.indices.filter { (cycle.muted..<silent.upperBound).contains($0) && packets[$0].payload.contains { $0 != 0xFF } }
            #expect(packets[silent].allSatisfy { $0.payload.allSatisfy { $0 == 0xFF } }, "cycle \(index): audio in \(silent): \(loud.map { $0 - cycle.muted })")
            // And the tone between the unmute and the mute: live audio was sent.
            let live = (cycle.unmuted + 2)..<max(cycle.unmuted + 2, cycle.muted - 1)
            #expect(packets[live].allSatisfy { $0.payload.contains { $0 != 0xFF } }, "cycle \(index): no tone in \(live)")
        }
    }

    @Test("digits from GStreamer's rtpdtmfsrc arrive as dtmf events, each exactly once")
    func digitsAreReceived() async throws {
        try ExternalTool.require("gst-launch-1.0")
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let daemon = try await Self.daemon(tone: 440)
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        let watcher = try await EventWatcher(path: daemon.socketPath, events: ["dtmf"])
        defer { watcher.stop() }
        let answer = try #require(try await client.result("call.accept", ["sdp": Self.offer(port: try UDPPorts.free(), formats: "0 101", key: key)])["sdp"] as? String)
        let (port, _) = try Self.mediaLine(answer)
        let digits = "0123456789*#ABCD"
        let script = WebRTCPeer.scriptDirectory.appendingPathComponent("dtmf_sender.py").path
        let sender = try ExternalProcess("/usr/bin/python3", [script, "--port", String(port), "--key", key.hex, "--digits", digits,
                                                               "--duration-ms", "250", "--gap-ms", "200"])
        // rtpdtmfsrc holds each tone at least 250 ms and 100 ms apart, so the script paces itself to that.
        // Waited for without holding a thread of the cooperative pool (see DaemonTestSupport's `eventually`).
        for _ in 0..<300 where sender.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let result = try await sender.finished(within: .seconds(5))
        #expect(result.succeeded, "\(result)")
        try await Task.sleep(for: .seconds(0.3))
        let events = watcher.events.filter { $0["type"] as? String == "dtmf" }
        let stats = try await client.result("status")["stats"] ?? ""
        #expect(events.compactMap { $0["digit"] as? String }.joined() == digits, "\(events); \(stats)")
        for event in events {
            let duration = CallJSON.number(event, "durationMs") ?? 0
            // rtpdtmfsrc's own tone length: its 250 ms minimum rounded up to its packets, more
            // when the script's sleeps run late on a loaded machine.
            #expect((240...1500).contains(duration), "\(event)")
        }
    }

    @Test("call.dtmf refuses bad digits and durations, and needs a call")
    func dtmfRequestsAreChecked() async throws {
        let daemon = try await DaemonProcess.start(yaml: "audio: { source: \"tone:440\", playback: \"none\" }\nlog: { level: warning }\n")
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        func code(_ params: [String: Any]) async throws -> Int? {
            ((try await client.call("call.dtmf", params))["error"] as? [String: Any])?["code"] as? Int
        }
        #expect(try await code(["digits": "12"]) == 1001)
        #expect(try await code(["digits": "1x"]) == -32602)
        #expect(try await code(["digits": "1", "durationMs": 10]) == -32602)
        #expect(try await code([:]) == -32602)
    }
}

/// G.711 and G.722 from a PBX heard through ALSA: in the playback suite, which runs its tests
/// one at a time, so no two daemons play into the sound server's null sinks at once.
extension CallPlaybackTests {
    struct Sender: CustomTestStringConvertible, Sendable {
        let codec: AudioCodec
        let formats: String
        let packetMilliseconds: Int
        /// GStreamer's raw caps, encoder and payloader for the codec.
        var elements: [String] {
            let ptime = String(packetMilliseconds * 1_000_000)
            let pay = ["min-ptime=\(ptime)", "max-ptime=\(ptime)"]
            switch codec {
            case .pcmu: return ["audio/x-raw,rate=8000,channels=1", "!", "mulawenc", "!", "rtppcmupay", "pt=0"] + pay
            case .pcma: return ["audio/x-raw,rate=8000,channels=1", "!", "alawenc", "!", "rtppcmapay", "pt=8"] + pay
            case .g722: return ["audio/x-raw,rate=16000,channels=1", "!", "avenc_g722", "!", "rtpg722pay", "pt=9"] + pay
            case .opus: return ["audio/x-raw,rate=48000,channels=1", "!", "opusenc", "!", "rtpopuspay", "pt=111"]
            }
        }
        var testDescription: String { "\(codec.encodingName), \(packetMilliseconds) ms packets" }
    }

    @Test("a PBX's offer is answered in its codec and a GStreamer sender's tone is heard through ALSA", arguments: [
        Sender(codec: .pcmu, formats: "0 8 101", packetMilliseconds: 20),
        Sender(codec: .pcma, formats: "8 101", packetMilliseconds: 20),
        Sender(codec: .g722, formats: "9 101", packetMilliseconds: 20),
        Sender(codec: .pcmu, formats: "0 101", packetMilliseconds: 10),
        Sender(codec: .pcma, formats: "8 101", packetMilliseconds: 60),
    ])
    func pbxToneIsHeard(sender: Sender) async throws {
        try PulseAudioFixture.ensureRunning()
        // A sink of its own: other suites' tones may play at the same time in one `swift test`.
        let sink = "softphoned_codec"
        _ = try PulseAudioFixture.sourceOfItsOwn(sink: sink)
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let daemon = try await Self.playingDaemon(into: sink)
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        let answer = try #require(try await client.result("call.accept", ["sdp": CallCodecTests.offer(port: try UDPPorts.free(), formats: sender.formats, key: key)])["sdp"] as? String)
        let (port, formats) = try CallCodecTests.mediaLine(answer)
        #expect(formats == [String(sender.codec.staticPayloadType!), "101"], "\(answer)")
        let call = try #require(try await client.result("status")["call"] as? [String: Any])
        #expect(call["codec"] as? String == sender.codec.rawValue)

        let recorder = try PulseAudioFixture.recordMonitor(of: sink)
        let gstreamer = try ExternalProcess("gst-launch-1.0", ["-q",
            "audiotestsrc", "is-live=true", "wave=sine", "freq=660", "volume=0.3", "!"] + sender.elements + [
            "!", "srtpenc", "key=\(key.hex)", "rtp-cipher=aes-128-icm", "rtp-auth=hmac-sha1-80",
            "rtcp-cipher=aes-128-icm", "rtcp-auth=hmac-sha1-80",
            "!", "udpsink", "host=127.0.0.1", "port=\(port)", "sync=false", "async=false",
        ])
        let wanted = 3000 / sender.packetMilliseconds
        let stats = try await Self.statsOnceReceived(wanted, from: client)
        let recorded = try recorder.interruptAndWait(timeout: 5)
        _ = try gstreamer.interruptAndWait(timeout: 5)

        #expect((stats["packetsReceived"] as? Int ?? 0) >= wanted, "\(stats)")
        #expect((stats["authFailures"] as? Int ?? -1) == 0)
        let heard = ToneReport(samples: RawPCM.samples(recorded.standardOutput))
        #expect(heard.isTone(660, tolerance: 5, levels: -40 ... -3), "the null sink's monitor heard \(heard)")
        #expect(heard.activeSeconds() > 1.5, "the monitor heard only \(heard.activeSeconds()) s of audio")
    }
}
