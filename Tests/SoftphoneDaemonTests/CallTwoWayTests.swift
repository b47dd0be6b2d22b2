import Foundation
import Testing

/// Two real softphoned processes call each other over loopback with SDP offer/answer
/// through their control sockets, and each plays out the other's tone.
@Suite("Two-way calls between two daemons", .serialized)
struct CallTwoWayTests {
    @Test("offer/answer between two daemons: both hear the other's tone at 50 packets/s, RTT from RTCP, BYE ends the far end's call")
    func twoWayCall() throws {
        let a = try CallPeer(tone: 700, yaml: "call: { media-timeout: 0 }")
        let b = try CallPeer(tone: 1300, yaml: "call: { media-timeout: 0 }")
        defer {
            a.stop()
            b.stop()
        }
        let (offer, answer, call) = try CallPeer.connect(a, b)
        #expect(offer.contains("m=audio ") && offer.contains("RTP/SAVP") && offer.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80"))
        #expect(answer.contains("a=sendrecv") && answer.contains("c=IN IP4 127.0.0.1"))
        #expect(call["remote"] as? String == "127.0.0.1:\(SDPText.audioPort(answer) ?? 0)")

        // Both sides report the call and announce it.
        for peer in [a, b] {
            #expect(peer.events.wait(for: "callStarted", timeout: 5) != nil)
            let status = try peer.status()
            #expect(CallJSON.object(status, "call") != nil, "status shows no call: \(status)")
        }

        // Media both ways at the frame rate, at tone level.
        for peer in [a, b] {
            let stats = try peer.waitForStats { (CallJSON.number($0, "packetsReceived") ?? 0) >= 25 }
            #expect((CallJSON.number(stats, "packetsReceived") ?? 0) >= 25, "no media arrived: \(peer.daemon.log)")
        }
        let start = Date()
        let before = try (a.stats(), b.stats())
        Thread.sleep(forTimeInterval: 2)
        let after = try (a.stats(), b.stats())
        let seconds = Date().timeIntervalSince(start)
        for (name, first, last) in [("A", before.0, after.0), ("B", before.1, after.1)] {
            let rate = ((CallJSON.number(last, "packetsReceived") ?? 0) - (CallJSON.number(first, "packetsReceived") ?? 0)) / seconds
            #expect(rate > 40 && rate < 60, "\(name) received \(rate) packets/s")
            let level = CallJSON.number(last, "outputLevelDBFS")
            #expect((level ?? -200) > -30, "\(name)'s playout is not at tone level: \(String(describing: level))")
            #expect(CallJSON.number(last, "authFailures") == 0)
            #expect(CallJSON.number(last, "packetsLost") == 0)
        }

        // RTCP reports carry the round trip (the first ones come within a few seconds).
        let rttA = try a.waitForStats(timeout: 9) { $0["rttMs"] != nil }
        let rttB = try b.waitForStats(timeout: 3) { $0["rttMs"] != nil }
        let rtts = [CallJSON.number(rttA, "rttMs"), CallJSON.number(rttB, "rttMs")].compactMap { $0 }
        #expect(!rtts.isEmpty, "no RTT from RTCP on either side")
        for rtt in rtts { #expect(rtt >= 0 && rtt < 500, "implausible loopback RTT \(rtt) ms") }

        // A hangs up: its BYE ends B's call with reason "bye".
        let mark = b.events.events.count
        #expect(try a.control.result("call.hangup")["ended"] as? Bool == true)
        let ended = b.events.wait(for: "callEnded", after: mark, timeout: 5)
        #expect(ended?["reason"] as? String == "bye", "B's call did not end by BYE: \(String(describing: ended))")
        #expect(a.events.wait(for: "callEnded", timeout: 2)?["reason"] as? String == "hangup")
        #expect(try b.status()["call"] is NSNull)
        #expect(try a.status()["call"] is NSNull)
    }
}
