import Foundation
import MediaEngine
import Testing

/// Two softphoned processes call each other over the WebRTC transport (ICE on loopback,
/// DTLS-SRTP) through their control sockets.
@Suite("WebRTC calls between two daemons", .serialized)
struct WebRTCCallTests {
    static let yaml = """
        call: { media-timeout: 0 }
        webrtc: { interfaces: [lo], gather-timeout-ms: 2000 }
        """

    static func webrtcPeers() throws -> (CallPeer, CallPeer) {
        (try CallPeer(tone: 700, yaml: yaml), try CallPeer(tone: 1300, yaml: yaml))
    }

    /// A offers WebRTC, B accepts, A applies the answer.
    @discardableResult
    static func connect(_ a: CallPeer, _ b: CallPeer) throws -> (offer: String, answer: String, call: [String: Any]) {
        let offer = try a.control.result("call.offer", ["transport": "webrtc"])["sdp"] as? String ?? ""
        let answer = try b.control.result("call.accept", ["sdp": offer])["sdp"] as? String ?? ""
        let call = try a.control.result("call.answer", ["sdp": answer])
        return (offer, answer, call)
    }

    static func webrtc(_ peer: CallPeer) throws -> [String: Any] {
        CallJSON.object(CallJSON.object(try peer.status(), "call") ?? [:], "webrtc") ?? [:]
    }

    @Test("offer/answer over ICE and DTLS-SRTP: both hear the other's tone at 50 packets/s, status shows the pair, hangup ends both")
    func twoWayCall() throws {
        let (a, b) = try Self.webrtcPeers()
        defer { a.stop(); b.stop() }
        let started = Date()
        let (offer, answer, _) = try Self.connect(a, b)
        #expect(offer.contains("UDP/TLS/RTP/SAVPF") && offer.contains("a=setup:actpass") && offer.contains("a=fingerprint:sha-256 "))
        #expect(offer.contains("a=rtcp-mux") && offer.contains("a=group:BUNDLE 0") && offer.contains("a=candidate:"))
        #expect(answer.contains("a=setup:active"))
        for peer in [a, b] {
            let stats = try peer.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 1 }
            #expect((CallJSON.number(stats, "packetsReceived") ?? 0) >= 1, "no media arrived: \(peer.daemon.log)")
        }
        print("measurement: WebRTC offer → media flowing both ways: \(String(format: "%.0f", Date().timeIntervalSince(started) * 1000)) ms")

        let before = try (a.stats(), b.stats())
        let start = Date()
        Thread.sleep(forTimeInterval: 2)
        let after = try (a.stats(), b.stats())
        let seconds = Date().timeIntervalSince(start)
        for (name, first, last) in [("A", before.0, after.0), ("B", before.1, after.1)] {
            let rate = ((CallJSON.number(last, "packetsReceived") ?? 0) - (CallJSON.number(first, "packetsReceived") ?? 0)) / seconds
            #expect(rate > 40 && rate < 60, "\(name) received \(rate) packets/s")
            #expect((CallJSON.number(last, "outputLevelDBFS") ?? -200) > -30, "\(name)'s playout is not at tone level: \(last)")
            #expect(CallJSON.number(last, "authFailures") == 0)
        }

        let offerer = try Self.webrtc(a), answerer = try Self.webrtc(b)
        #expect(offerer["dtlsRole"] as? String == "server")
        #expect(answerer["dtlsRole"] as? String == "client")
        #expect(offerer["iceRole"] as? String == "controlling")
        #expect(answerer["iceRole"] as? String == "controlled")
        for info in [offerer, answerer] {
            #expect(info["dtlsState"] as? String == "connected")
            #expect(info["srtpProfile"] as? String == "SRTP_AEAD_AES_128_GCM")
            #expect(info["consent"] as? String == "fresh")
            #expect((info["localCandidate"] as? String)?.hasPrefix("host udp ") == true)
        }
        print("measurement: ICE usable → DTLS done: offerer \(offerer["handshakeMs"] ?? "?") ms, answerer \(answerer["handshakeMs"] ?? "?") ms")

        let mark = b.events.events.count
        #expect(try a.control.result("call.hangup")["ended"] as? Bool == true)
        let ended = b.events.wait(for: "callEnded", after: mark, timeout: 5)
        #expect(["bye"].contains(ended?["reason"] as? String), "B's call did not end by BYE/close_notify: \(String(describing: ended))")
    }

    @Test("a far end that goes away ends the call by consent timeout (RFC 7675), reason timeout")
    func consentTimeout() throws {
        let (a, b) = try Self.webrtcPeers()
        defer { a.stop(); b.stop() }
        try Self.connect(a, b)
        try a.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 5 }
        // B vanishes without a BYE or close_notify.
        kill(b.daemon.process.processIdentifier, SIGKILL)
        let started = Date()
        let ended = a.events.wait(for: "callEnded", timeout: 45)
        #expect(ended?["reason"] as? String == "timeout", "the call did not end by consent timeout: \(String(describing: ended))")
        print("measurement: far end gone → call ended by consent: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
