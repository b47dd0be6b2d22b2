import DaemonTestSupport
import Foundation
import MediaEngine
import Testing

/// Two real softphoned processes call each other over loopback with SDP offer/answer
/// through their control sockets, and each plays out the other's tone.
@Suite("Two-way calls between two daemons", .serialized)
struct CallTwoWayTests {
    @Test("offer/answer between two daemons: both hear the other's tone at 50 packets/s, RTT from RTCP, BYE ends the far end's call")
    func twoWayCall() async throws {
        let a = try await CallPeer(tone: 700, yaml: "call: { media-timeout: 0 }")
        let b = try await CallPeer(tone: 1300, yaml: "call: { media-timeout: 0 }")
        defer {
            a.stop()
            b.stop()
        }
        let (offer, answer, call) = try await CallPeer.connect(a, b)
        #expect(offer.contains("m=audio ") && offer.contains("RTP/SAVP") && offer.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80"))
        #expect(answer.contains("a=sendrecv") && answer.contains("c=IN IP4 127.0.0.1"))
        #expect(call["remote"] as? String == "127.0.0.1:\(SDPText.audioPort(answer) ?? 0)")

        // Both sides report the call and announce it.
        for peer in [a, b] {
            #expect(try await peer.events.wait(for: "callStarted", timeout: 5) != nil)
            let status = try await peer.status()
            #expect(CallJSON.object(status, "call") != nil, "status shows no call: \(status)")
        }

        // Media both ways at the frame rate, at tone level.
        for peer in [a, b] {
            let stats = try await peer.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 25 }
            #expect((CallJSON.number(stats, "packetsReceived") ?? 0) >= 25, "no media arrived: \(peer.daemon.log)")
        }
        for (name, (rate, last)) in zip(["A", "B"], try await CallPeer.receiveRates([a, b], over: 2)) {
            #expect(rate > 40 && rate < 60, "\(name) received \(rate) packets/s")
            let level = CallJSON.number(last, "outputLevelDBFS")
            #expect((level ?? -200) > -30, "\(name)'s playout is not at tone level: \(String(describing: level))")
            #expect(CallJSON.number(last, "authFailures") == 0)
            #expect(CallJSON.number(last, "packetsLost") == 0)
        }

        // RTCP reports carry the round trip (the first ones come within a few seconds).
        let rttA = try await a.waitForStats(timeout: 9) { $0["rttMs"] != nil }
        let rttB = try await b.waitForStats(timeout: 3) { $0["rttMs"] != nil }
        let rtts = [CallJSON.number(rttA, "rttMs"), CallJSON.number(rttB, "rttMs")].compactMap { $0 }
        #expect(!rtts.isEmpty, "no RTT from RTCP on either side")
        for rtt in rtts { #expect(rtt >= 0 && rtt < 500, "implausible loopback RTT \(rtt) ms") }
        print("measurement: two-way call over loopback: RTT from RTCP A \(CallJSON.number(rttA, "rttMs").map { "\($0) ms" } ?? "none"), B \(CallJSON.number(rttB, "rttMs").map { "\($0) ms" } ?? "none"); jitter A \(CallJSON.number(rttA, "jitterMs") ?? -1) ms, B \(CallJSON.number(rttB, "jitterMs") ?? -1) ms")

        // A hangs up: its BYE ends B's call with reason "bye".
        let mark = b.events.events.count
        #expect(try await a.control.result("call.hangup")["ended"] as? Bool == true)
        let ended = try await b.events.wait(for: "callEnded", after: mark, timeout: 5)
        #expect(ended?["reason"] as? String == "bye", "B's call did not end by BYE: \(String(describing: ended))")
        #expect(try await a.events.wait(for: "callEnded", timeout: 2)?["reason"] as? String == "hangup")
        #expect(try await b.status()["call"] is NSNull)
        #expect(try await a.status()["call"] is NSNull)
    }

    @Test("hold and resume by re-offer leave the mute state alone: still muted, no mute events; media stops and resumes")
    func holdKeepsMute() async throws {
        let a = try await CallPeer(tone: 700, yaml: "call: { media-timeout: 0 }")
        let b = try await CallPeer(tone: 1300, yaml: "call: { media-timeout: 0 }")
        defer {
            a.stop()
            b.stop()
        }
        let (offer, _, _) = try await CallPeer.connect(a, b)
        try await a.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 10 }
        #expect(try await b.control.result("mute")["muted"] as? Bool == true)
        #expect(try await b.events.wait(for: "mute", timeout: 2) != nil)
        let mark = b.events.events.count

        // A re-offers with a=sendonly (hold): B answers recvonly and stops sending.
        let hold = SDPText.version(SDPText.direction(offer, "sendonly"), 2)
        let holdAnswer = try await b.control.result("call.accept", ["sdp": hold])["sdp"] as? String ?? ""
        #expect(holdAnswer.contains("a=recvonly"), "hold answer: \(holdAnswer)")
        let held = try await b.status()
        #expect(held["muted"] as? Bool == true)
        #expect(CallJSON.object(held, "call")?["direction"] as? String == "recvonly")
        try await Task.sleep(for: .seconds(0.2))
        let sentOnHold = CallJSON.number(try await b.stats(), "packetsSent") ?? 0
        try await Task.sleep(for: .seconds(0.5))
        #expect(CallJSON.number(try await b.stats(), "packetsSent") == sentOnHold, "B kept sending on hold")
        // B still receives A.
        let receivedOnHold = CallJSON.number(try await b.stats(), "packetsReceived") ?? 0
        try await b.waitForStats(timeout: 3) { (CallJSON.number($0, "packetsReceived") ?? 0) > receivedOnHold + 10 }

        // Resume: sendrecv again; B sends muted frames, and is still muted.
        let resume = SDPText.version(SDPText.direction(offer, "sendrecv"), 3)
        let resumeAnswer = try await b.control.result("call.accept", ["sdp": resume])["sdp"] as? String ?? ""
        #expect(resumeAnswer.contains("a=sendrecv"))
        let resumed = try await b.waitForStats(timeout: 3) { (CallJSON.number($0, "packetsSent") ?? 0) > sentOnHold + 10 }
        #expect((CallJSON.number(resumed, "packetsSent") ?? 0) > sentOnHold + 10, "B did not resume sending")
        #expect((CallJSON.number(resumed, "mutedFrames") ?? 0) > 10)
        #expect(try await b.status()["muted"] as? Bool == true)
        let sinceMark = Array(b.events.types.dropFirst(mark))
        #expect(!sinceMark.contains("mute") && !sinceMark.contains("unmute") && !sinceMark.contains("callEnded"),
                "renegotiation emitted \(sinceMark)")
        // A hears B's silence now, and B's tone once unmuted.
        try await a.waitForStats(timeout: 3) { (CallJSON.number($0, "outputLevelDBFS") ?? -200) < -60 }
        #expect(try await b.control.result("unmute")["muted"] as? Bool == false)
        let loud = try await a.waitForStats(timeout: 3) { (CallJSON.number($0, "outputLevelDBFS") ?? -200) > -30 }
        #expect((CallJSON.number(loud, "outputLevelDBFS") ?? -200) > -30, "A does not hear B after unmute")
    }

    @Test("5% loss and reordering between the daemons: the far end's playout stays at tone level, PLC/FEC and loss counted")
    func lossAndReordering() async throws {
        let relay = try UDPRelay(impairment: .init(loss: 0.05, swap: 0.03))
        defer { relay.stop() }
        let a = try await CallPeer(tone: 700, yaml: """
            call: { media-timeout: 0 }
            opus: { expected-loss: 10 }
            """)
        let b = try await CallPeer(tone: 1300, yaml: "call: { media-timeout: 0 }")
        defer {
            a.stop()
            b.stop()
        }
        var offerPort: UInt16 = 0
        try await CallPeer.connect(a, b, offerToB: { offer in
            offerPort = SDPText.audioPort(offer) ?? 0
            return SDPText.pointing(offer, toPort: relay.sideB.localAddress.port)
        }, answerToA: { answer in
            relay.connect(a: try! SocketAddress(host: "127.0.0.1", port: offerPort),
                          b: try! SocketAddress(host: "127.0.0.1", port: SDPText.audioPort(answer) ?? 0))
            return SDPText.pointing(answer, toPort: relay.sideA.localAddress.port)
        })
        try await b.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 25 }

        // Sample B's playout level for 6 s.
        var levels: [Double] = []
        let end = Date().addingTimeInterval(6)
        while Date() < end {
            levels.append(CallJSON.number(try await b.stats(), "outputLevelDBFS") ?? -200)
            try await Task.sleep(for: .seconds(0.05))
        }
        let stats = try await b.stats()
        let counts = relay.counts
        #expect(counts.dropped > 5 && counts.swapped >= 2, "the relay did not impair enough: \(counts)")
        #expect((CallJSON.number(stats, "packetsLost") ?? 0) > 0, "\(stats)")
        let recovered = (CallJSON.number(stats, "plcFrames") ?? 0) + (CallJSON.number(stats, "fecFrames") ?? 0)
        #expect(recovered > 0, "no concealed or FEC-recovered frames: \(stats)")
        // Continuous audio: concealment keeps the tone's level (a sample may land on a decaying
        // concealment after two losses in a row, hence 95%).
        let quiet = levels.filter { $0 <= -30 }
        #expect(levels.count > 40)
        #expect(Double(quiet.count) <= Double(levels.count) * 0.05, "B's playout dropped out: \(quiet.count) of \(levels.count) samples quiet, min \(levels.min() ?? 0)")
        print("measurement: 5% loss + reordering A->B: relay forwarded \(counts.forwarded), dropped \(counts.dropped), swapped \(counts.swapped); B packetsLost \(CallJSON.number(stats, "packetsLost") ?? -1), plcFrames \(CallJSON.number(stats, "plcFrames") ?? -1), fecFrames \(CallJSON.number(stats, "fecFrames") ?? -1), jitter \(CallJSON.number(stats, "jitterMs") ?? -1) ms; playout level samples \(levels.count), quiet \(quiet.count), min \(levels.min() ?? 0) dBFS")
        // The clean direction is clean.
        let aStats = try await a.stats()
        #expect(CallJSON.number(aStats, "packetsLost") == 0)
        #expect(CallJSON.number(aStats, "authFailures") == 0 && CallJSON.number(stats, "authFailures") == 0)
    }
}
