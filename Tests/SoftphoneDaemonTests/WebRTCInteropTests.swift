import DaemonTestSupport
import Foundation
import MediaTestSupport
import Testing

/// softphoned against real WebRTC stacks: headless Chromium (libwebrtc, BoringSSL) and
/// GStreamer's webrtcbin (libnice, OpenSSL), each calling softphoned and called by it, on
/// loopback. The far end decodes what softphoned sent and reports the tone it heard, so the
/// privacy of mute is checked on what actually crossed the wire, after DTLS-SRTP.
@Suite("WebRTC interop: Chromium and webrtcbin", .serialized, .timeLimit(.minutes(3)))
struct WebRTCInteropTests {
    /// softphoned's tone and the far end's.
    static let ourTone = 1000.0
    static let theirTone = 440.0

    static func daemon(mode: String = "silence", muted: Bool = false) async throws -> CallPeer {
        try await CallPeer(tone: Int(ourTone), yaml: """
            call: { media-timeout: 0 }
            mute: { mode: \(mode), initial: \(muted), sync-device: false }
            webrtc: { interfaces: [lo] }
            """)
    }

    /// softphoned with `relay` as its TURN server (`url`), the credential in a file of the
    /// daemon's own test directory; `more` adds lines under `webrtc:`.
    static func daemon(relay: TURNRelay, url: String, more: String = "", namespace: String? = nil) async throws -> CallPeer {
        let credential = try DaemonProcess.makeDirectory().appendingPathComponent("turn-credential")
        try relay.password.write(to: credential, atomically: true, encoding: .utf8)
        return try await CallPeer(tone: Int(ourTone), yaml: """
            call: { media-timeout: 0 }
            mute: { sync-device: false }
            webrtc:
              turn: ["\(url)"]
              turn-username: \(relay.user)
              turn-credential-file: \(credential.path)
            \(more)
            """, namespace: namespace)
    }

    static func options(seconds: Double) -> WebRTCPeer.Options {
        WebRTCPeer.Options(toneHertz: theirTone, duration: seconds, localAddresses: ["127.0.0.1"])
    }

    /// The far end offers; softphoned answers.
    static func farEndCalls(_ kind: WebRTCPeer.Kind, _ daemon: CallPeer, seconds: Double = 2,
                            during: (CallPeer) async throws -> Void = { _ in }) async throws -> WebRTCPeerReport {
        let peer = try WebRTCPeer(kind, role: .offer, options: options(seconds: seconds))
        let answer = try await daemon.control.result("call.accept", ["sdp": try peer.localDescription()])["sdp"] as? String ?? ""
        try peer.sendRemoteDescription(answer)
        try await during(daemon)
        return try peer.finish(timeout: seconds + 30)
    }

    /// softphoned offers; the far end answers (`dtlsSetup` munges Chromium's answer).
    static func softphonedCalls(_ kind: WebRTCPeer.Kind, _ daemon: CallPeer, seconds: Double = 2,
                                dtlsSetup: String? = nil, during: (CallPeer) async throws -> Void = { _ in }) async throws -> WebRTCPeerReport {
        var options = options(seconds: seconds)
        options.dtlsSetup = dtlsSetup
        let peer = try WebRTCPeer(kind, role: .answer, options: options)
        let offer = try await daemon.control.result("call.offer", ["transport": "webrtc"])["sdp"] as? String ?? ""
        try peer.sendRemoteDescription(offer)
        _ = try await daemon.control.result("call.answer", ["sdp": try peer.localDescription()])
        try await during(daemon)
        return try peer.finish(timeout: seconds + 30)
    }

    static func webrtc(_ daemon: CallPeer) async throws -> [String: Any] {
        CallJSON.object(CallJSON.object(try await daemon.status(), "call") ?? [:], "webrtc") ?? [:]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let kind: WebRTCPeer.Kind
        let softphonedOffers: Bool
        var testDescription: String { softphonedOffers ? "softphoned calls \(kind)" : "\(kind) calls softphoned" }
    }

    static let cases = [WebRTCPeer.Kind.chromium, .webrtcbin].flatMap { [Case(kind: $0, softphonedOffers: false), Case(kind: $0, softphonedOffers: true)] }

    @Test("each side hears the other's tone; roles per RFC 5763 and the pair on loopback", arguments: cases)
    func tones(_ test: Case) async throws {
        let daemon = try await Self.daemon()
        defer { daemon.stop() }
        var transport: [String: Any] = [:]
        var stats: [String: Any] = [:]
        let whileConnected = { (daemon: CallPeer) async throws in
            stats = try await daemon.waitForStats(timeout: 10) { (CallJSON.number($0, "packetsReceived") ?? 0) >= 50 }
            transport = try await Self.webrtc(daemon)
        }
        let report = test.softphonedOffers ? try await Self.softphonedCalls(test.kind, daemon, during: whileConnected)
                                           : try await Self.farEndCalls(test.kind, daemon, during: whileConnected)
        #expect(report.connected, "\(report)\n\(daemon.daemon.log)")
        #expect(report.hears(Self.ourTone), "the far end did not hear softphoned's tone: \(report)")
        #expect(report.packetsReceived >= 80, "\(report)")
        // softphoned decoded the far end's tone at speech level.
        #expect((CallJSON.number(stats, "packetsReceived") ?? 0) >= 50, "\(stats)\n\(daemon.daemon.log)")
        #expect((CallJSON.number(stats, "outputLevelDBFS") ?? -200) > -40, "softphoned did not hear the far end: \(stats)")
        #expect(CallJSON.number(stats, "authFailures") == 0)
        // RFC 5763 §5: the answerer of an actpass offer is the DTLS client.
        #expect(report.dtlsRole == (test.softphonedOffers ? "client" : "server"), "\(report)")
        #expect(report.srtpProfile?.hasPrefix("SRTP_") == true, "\(report)")
        // Both ends agree on what DTLS negotiated.
        #expect(transport["srtpProfile"] as? String == report.srtpProfile, "\(transport) vs \(report)")
        print("measurement: \(test.testDescription): SRTP profile \(report.srtpProfile ?? "?"), far end connected in \(report.connectMs ?? -1) ms, softphoned DTLS \(transport["dtlsRole"] ?? "?") handshake \(transport["handshakeMs"] ?? "?") ms, pair \(transport["localCandidate"] ?? "?") ↔ \(transport["remoteCandidate"] ?? "?")")
    }

    @Test("Chromium as DTLS server (it answers a=setup:passive): softphoned is the client, and Chrome's choice of profile is used")
    func chromeAsDTLSServer() async throws {
        let daemon = try await Self.daemon()
        defer { daemon.stop() }
        let report = try await Self.softphonedCalls(.chromium, daemon, dtlsSetup: "passive")
        #expect(report.connected, "\(report)\n\(daemon.daemon.log)")
        #expect(report.dtlsRole == "server", "\(report)")
        #expect(report.hears(Self.ourTone), "\(report)")
        print("measurement: Chromium as DTLS server picked \(report.srtpProfile ?? "?")")
    }

    @Test("muted from the start in silence mode: Chromium receives packets that decode to digital zeros, then hears the tone after unmute")
    func silenceMuteOnTheWire() async throws {
        let daemon = try await Self.daemon(mode: "silence", muted: true)
        defer { daemon.stop() }
        let report = try await Self.farEndCalls(.chromium, daemon, seconds: 4) { daemon in
            _ = try await daemon.waitForStats(timeout: 10) { (CallJSON.number($0, "packetsSent") ?? 0) >= 100 }
            _ = try await daemon.control.result("unmute")
        }
        #expect(report.connected, "\(report)")
        // Muted for the first 2 s (100 packets): the first windows are exact zeros.
        let settled = report.rms.prefix(60).dropFirst(5)
        #expect(!settled.isEmpty && settled.allSatisfy { $0 == 0 }, "muted audio was not silent: \(Array(report.rms.prefix(60)))")
        #expect(report.hearsAtEnd(Self.ourTone), "no tone after unmute: \(report) \(report.rms)")
    }

    @Test("muted in disable mode: no RTP reaches the far end while ICE and DTLS stay up; unmute resumes it")
    func disableMuteOnTheWire() async throws {
        let daemon = try await Self.daemon(mode: "disable", muted: true)
        defer { daemon.stop() }
        var sentWhileMuted = -1.0
        let report = try await Self.farEndCalls(.webrtcbin, daemon, seconds: 4) { daemon in
            try await Task.sleep(for: .seconds(2))
            sentWhileMuted = CallJSON.number(try await daemon.stats(), "packetsSent") ?? -1
            #expect(try await Self.webrtc(daemon)["consent"] as? String == "fresh")
            _ = try await daemon.control.result("unmute")
        }
        #expect(sentWhileMuted == 0, "softphoned sent RTP while disable-muted")
        #expect(report.connected, "\(report)")
        // Nothing in the first 1.5 s of the call; the tone after unmute.
        let early = report.packetsTimeline.first { $0.count == 2 && $0[0] >= 1500 }?[1] ?? -1
        #expect(early == 0, "the far end received \(early) packets while softphoned was disable-muted: \(report.packetsTimeline.prefix(20))")
        #expect(report.hearsAtEnd(Self.ourTone), "no tone after unmute: \(report)")
    }

    @Test("through a TURN relay only (coturn; both sides offer relayed candidates alone): media crosses the relay both ways",
          arguments: ["udp", "tcp"])
    func relayOnly(transport: String) async throws {
        // Relayed addresses on 127.0.0.2: a permission for a relayed address admits no host candidate.
        let relay = try TURNRelay(relayIP: "127.0.0.2")
        defer { relay.stop() }
        let daemon = try await Self.daemon(relay: relay, url: "turn:\(relay.address)?transport=\(transport)", more: """
              interfaces: [lo]
              ice-transport-policy: relay
            """)
        defer { daemon.stop() }
        var options = Self.options(seconds: 2)
        options.turn = relay.url
        options.forceRelay = true
        let peer = try WebRTCPeer(.webrtcbin, role: .offer, options: options)
        let offer = try peer.localDescription()
        let answer = try await daemon.control.result("call.accept", ["sdp": offer])["sdp"] as? String ?? ""
        // Only relayed candidates leave either side.
        let candidates = answer.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }
        #expect(!candidates.isEmpty && candidates.allSatisfy { $0.contains(" typ relay") }, "\(answer)")
        try peer.sendRemoteDescription(answer)
        let stats = try await daemon.waitForStats(timeout: 15) { (CallJSON.number($0, "packetsReceived") ?? 0) >= 50 }
        let info = try await Self.webrtc(daemon)
        let report = try peer.finish(timeout: 40)
        #expect(report.connected, "\(report)\n\(daemon.daemon.log)")
        #expect(report.hears(Self.ourTone), "\(report)")
        #expect((CallJSON.number(stats, "outputLevelDBFS") ?? -200) > -40, "softphoned did not hear the far end through the relay: \(stats)")
        #expect((info["localCandidate"] as? String)?.hasPrefix("relay ") == true, "\(info)")
        #expect(report.selectedPair?.local?.type == "relay", "\(report)")
        #expect(relay.allocations >= 2, "coturn granted \(relay.allocations) allocations")
        print("measurement: relayed call over TURN/\(transport): pair \(info["localCandidate"] ?? "?") ↔ \(info["remoteCandidate"] ?? "?"), far end connected in \(report.connectMs ?? -1) ms")
    }

    @Test("Chromium restarts ICE mid-call: softphoned answers with new credentials, keeps DTLS, the call and the mute state")
    func iceRestart() async throws {
        let daemon = try await Self.daemon()
        defer { daemon.stop() }
        var options = Self.options(seconds: 4)
        options.restartICEAfter = 1
        let peer = try WebRTCPeer(.chromium, role: .offer, options: options)
        let offer = try peer.localDescription()
        let answer = try await daemon.control.result("call.accept", ["sdp": offer])["sdp"] as? String ?? ""
        try peer.sendRemoteDescription(answer)
        _ = try await daemon.waitForStats(timeout: 10) { (CallJSON.number($0, "packetsReceived") ?? 0) >= 20 }
        _ = try await daemon.control.result("mute", ["mode": "silence"])
        _ = try await daemon.control.result("unmute")
        let handshake = try await Self.webrtc(daemon)["handshakeMs"] as? Double
        let mark = daemon.events.events.count

        let restart = try peer.localDescription(timeout: 15, index: 1)
        func ufrag(_ sdp: String) -> String? { sdp.split(separator: "\r\n").first { $0.hasPrefix("a=ice-ufrag:") }.map(String.init) }
        #expect(ufrag(restart) != ufrag(offer), "the re-offer is not an ICE restart")
        let restartAnswer = try await daemon.control.result("call.accept", ["sdp": restart])["sdp"] as? String ?? ""
        #expect(ufrag(restartAnswer) != nil && ufrag(restartAnswer) != ufrag(answer), "softphoned kept its ICE credentials across a restart")
        try peer.sendRemoteDescription(restartAnswer)
        let before = CallJSON.number(try await daemon.stats(), "packetsReceived") ?? 0
        let after = try await daemon.waitForStats(timeout: 5) { (CallJSON.number($0, "packetsReceived") ?? 0) > before + 50 }
        #expect((CallJSON.number(after, "packetsReceived") ?? 0) > before + 50, "no media after the ICE restart")
        let transport = try await Self.webrtc(daemon)
        #expect(transport["handshakeMs"] as? Double == handshake, "a new DTLS handshake ran")
        #expect(transport["dtlsState"] as? String == "connected")
        let since = Array(daemon.events.types.dropFirst(mark))
        #expect(!since.contains("callStarted") && !since.contains("callEnded") && !since.contains("mute") && !since.contains("unmute"),
                "the restart emitted \(since)")
        #expect(try await daemon.status()["muted"] as? Bool == false)
        let report = try peer.finish(timeout: 30)
        #expect(report.connected, "\(report)")
        #expect(report.hearsAtEnd(Self.ourTone), "\(report)")
    }

    @Test("softphoned and webrtcbin on two hosts with no route between them: the call runs through coturn on the host between",
          .enabled(if: IsolatedHosts.available, "needs root for network namespaces"))
    func throughRelayWhenDirectPathsAreBlocked() async throws {
        let hosts = try IsolatedHosts()
        let relay = try TURNRelay(relayIP: IsolatedHosts.relayed, listeningIPs: [IsolatedHosts.relayOnA, IsolatedHosts.relayOnB],
                                  namespace: hosts.relay)
        defer { relay.stop() }
        // The product's defaults: every interface, every candidate type; only the network decides.
        let daemon = try await Self.daemon(relay: relay, url: "turn:\(IsolatedHosts.relayOnA):\(relay.port)?transport=udp", namespace: hosts.hostA)
        defer { daemon.stop() }
        var options = Self.options(seconds: 2)
        options.localAddresses = [IsolatedHosts.addressB]
        options.turn = "turn://\(relay.user):\(relay.password)@\(IsolatedHosts.relayOnB):\(relay.port)"
        options.namespace = hosts.hostB
        let peer = try WebRTCPeer(.webrtcbin, role: .offer, options: options)
        let offer = try peer.localDescription()
        let answer = try await daemon.control.result("call.accept", ["sdp": offer])["sdp"] as? String ?? ""
        #expect(answer.contains("typ host") && answer.contains("typ relay"), "softphoned offers host and relayed candidates: \(answer)")
        try peer.sendRemoteDescription(answer)
        let stats = try await daemon.waitForStats(timeout: 15) { (CallJSON.number($0, "packetsReceived") ?? 0) >= 50 }
        let info = try await Self.webrtc(daemon)
        let report = try peer.finish(timeout: 40)
        #expect(report.connected, "\(report)\n\(daemon.daemon.log)")
        #expect(report.hears(Self.ourTone), "\(report)")
        #expect((CallJSON.number(stats, "outputLevelDBFS") ?? -200) > -40, "softphoned did not hear the far end: \(stats)")
        #expect((info["localCandidate"] as? String)?.hasPrefix("relay ") == true, "\(info)")
        // coturn carries A's packets to B's host address from the relayed address; nothing else could.
        #expect(try hosts.reachable(IsolatedHosts.addressB, from: hosts.hostA) == false, "host A can reach host B directly")
        print("measurement: hosts without a route between them: pair \(info["localCandidate"] ?? "?") ↔ \(info["remoteCandidate"] ?? "?"), far end connected in \(report.connectMs ?? -1) ms")
    }

    @Test("the same two hosts without a relay cannot connect: the direct paths really are blocked",
          .enabled(if: IsolatedHosts.available, "needs root for network namespaces"))
    func blockedWithoutRelay() async throws {
        let hosts = try IsolatedHosts()
        let daemon = try await CallPeer(tone: Int(Self.ourTone), yaml: "call: { media-timeout: 0 }\nmute: { sync-device: false }", namespace: hosts.hostA)
        defer { daemon.stop() }
        var options = Self.options(seconds: 1)
        options.localAddresses = [IsolatedHosts.addressB]
        options.namespace = hosts.hostB
        options.connectTimeout = 4
        let peer = try WebRTCPeer(.webrtcbin, role: .offer, options: options)
        let answer = try await daemon.control.result("call.accept", ["sdp": try peer.localDescription()])["sdp"] as? String ?? ""
        try peer.sendRemoteDescription(answer)
        let report = try peer.finish(timeout: 30)
        #expect(!report.connected, "connected without a relay: \(report)")
        #expect(CallJSON.number(try await daemon.stats(), "packetsReceived") ?? 0 == 0)
    }
}
