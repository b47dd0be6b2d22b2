import DaemonTestSupport
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

    static func webrtcPeers() async throws -> (CallPeer, CallPeer) {
        (try await CallPeer(tone: 700, yaml: yaml), try await CallPeer(tone: 1300, yaml: yaml))
    }

    /// A offers WebRTC, B accepts, A applies the answer.
    @discardableResult
    static func connect(_ a: CallPeer, _ b: CallPeer) async throws -> (offer: String, answer: String, call: [String: Any]) {
        let offer = try await a.control.result("call.offer", ["transport": "webrtc"])["sdp"] as? String ?? ""
        let answer = try await b.control.result("call.accept", ["sdp": offer])["sdp"] as? String ?? ""
        let call = try await a.control.result("call.answer", ["sdp": answer])
        return (offer, answer, call)
    }

    static func webrtc(_ peer: CallPeer) async throws -> [String: Any] {
        CallJSON.object(CallJSON.object(try await peer.status(), "call") ?? [:], "webrtc") ?? [:]
    }

    @Test("offer/answer over ICE and DTLS-SRTP: both hear the other's tone at 50 packets/s, status shows the pair, hangup ends both")
    func twoWayCall() async throws {
        let (a, b) = try await Self.webrtcPeers()
        defer { a.stop(); b.stop() }
        let started = Date()
        let (offer, answer, _) = try await Self.connect(a, b)
        #expect(offer.contains("UDP/TLS/RTP/SAVPF") && offer.contains("a=setup:actpass") && offer.contains("a=fingerprint:sha-256 "))
        #expect(offer.contains("a=rtcp-mux") && offer.contains("a=group:BUNDLE 0") && offer.contains("a=candidate:"))
        #expect(answer.contains("a=setup:active"))
        for peer in [a, b] {
            let stats = try await peer.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 1 }
            #expect((CallJSON.number(stats, "packetsReceived") ?? 0) >= 1, "no media arrived: \(peer.daemon.log)")
        }
        print("measurement: WebRTC offer → media flowing both ways: \(String(format: "%.0f", Date().timeIntervalSince(started) * 1000)) ms")

        for (name, (rate, last)) in zip(["A", "B"], try await CallPeer.receiveRates([a, b], over: 2)) {
            #expect(rate > 40 && rate < 60, "\(name) received \(rate) packets/s")
            #expect(CallJSON.number(last, "authFailures") == 0)
        }
        // The level is the last 20 ms played: one frame a loaded machine played late is not the call.
        for (name, peer) in [("A", a), ("B", b)] {
            let heard = try await peer.waitForStats(timeout: 2) { (CallJSON.number($0, "outputLevelDBFS") ?? -200) > -30 }
            #expect((CallJSON.number(heard, "outputLevelDBFS") ?? -200) > -30, "\(name)'s playout is not at tone level: \(heard)")
        }

        let offerer = try await Self.webrtc(a), answerer = try await Self.webrtc(b)
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
        #expect(try await a.control.result("call.hangup")["ended"] as? Bool == true)
        let ended = try await b.events.wait(for: "callEnded", after: mark, timeout: 5)
        #expect(["bye"].contains(ended?["reason"] as? String), "B's call did not end by BYE/close_notify: \(String(describing: ended))")
    }

    @Test("a far end that goes away ends the call by consent timeout (RFC 7675), reason timeout")
    func consentTimeout() async throws {
        let (a, b) = try await Self.webrtcPeers()
        defer { a.stop(); b.stop() }
        try await Self.connect(a, b)
        try await a.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 5 }
        // B vanishes without a BYE or close_notify.
        b.daemon.send(SIGKILL)
        let started = Date()
        let ended = try await a.events.wait(for: "callEnded", timeout: 45)
        #expect(ended?["reason"] as? String == "timeout", "the call did not end by consent timeout: \(String(describing: ended))")
        print("measurement: far end gone → call ended by consent: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    static func attribute(_ name: String, in sdp: String) -> String? {
        sdp.split(separator: "\r\n").first { $0.hasPrefix("a=\(name):") }.map(String.init)
    }

    @Test("hold and resume by WebRTC re-offer keep the DTLS association, the ICE credentials and the mute state")
    func holdKeepsAssociationAndMute() async throws {
        let (a, b) = try await Self.webrtcPeers()
        defer { a.stop(); b.stop() }
        let (offer, answer, _) = try await Self.connect(a, b)
        try await b.waitForStats { (CallJSON.number($0, "packetsSent") ?? 0) >= 10 }
        let handshake = try await Self.webrtc(b)["handshakeMs"] as? Double
        #expect(try await b.control.result("mute")["muted"] as? Bool == true)
        #expect(try await b.events.wait(for: "mute", timeout: 2) != nil)
        let mark = b.events.events.count

        // A puts B on hold: B answers recvonly with the same credentials, fingerprint and role, and stops sending.
        let hold = try await b.control.result("call.accept", ["sdp": SDPText.version(SDPText.direction(offer, "sendonly"), 2)])["sdp"] as? String ?? ""
        #expect(hold.contains("a=recvonly"), "\(hold)")
        for name in ["ice-ufrag", "ice-pwd", "fingerprint", "setup"] {
            #expect(Self.attribute(name, in: hold) == Self.attribute(name, in: answer), "a=\(name) changed in the re-answer")
        }
        try await Task.sleep(for: .seconds(0.1))
        let sentOnHold = CallJSON.number(try await b.stats(), "packetsSent") ?? 0
        try await Task.sleep(for: .seconds(0.5))
        #expect(CallJSON.number(try await b.stats(), "packetsSent") == sentOnHold, "B kept sending on hold")
        let onHold = try await Self.webrtc(b)
        #expect(onHold["dtlsState"] as? String == "connected")
        #expect(onHold["handshakeMs"] as? Double == handshake, "a new DTLS handshake ran")

        // Resume: B sends again, still muted; nothing about mute or the call was announced.
        let resume = try await b.control.result("call.accept", ["sdp": SDPText.version(SDPText.direction(offer, "sendrecv"), 3)])["sdp"] as? String ?? ""
        #expect(resume.contains("a=sendrecv"))
        let resumed = try await b.waitForStats(timeout: 3) { (CallJSON.number($0, "packetsSent") ?? 0) > sentOnHold + 10 }
        #expect((CallJSON.number(resumed, "packetsSent") ?? 0) > sentOnHold + 10, "B did not resume sending")
        #expect(try await b.status()["muted"] as? Bool == true)
        let since = Array(b.events.types.dropFirst(mark))
        #expect(!since.contains("mute") && !since.contains("unmute") && !since.contains("callEnded") && !since.contains("callStarted"),
                "renegotiation emitted \(since)")
        // An offer for another session is refused while the call runs.
        let other = offer.replacingOccurrences(of: "o=softphoned ", with: "o=someone-else ")
        #expect(try await b.error("call.accept", ["sdp": other]).code == 1002)
    }
}
