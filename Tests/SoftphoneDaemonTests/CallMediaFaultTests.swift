import DaemonTestSupport
import Foundation
import MediaCore
import MediaTestSupport
import Testing

/// What a call does when the far end's media is wrong or missing.
@Suite("Call media faults", .serialized)
struct CallMediaFaultTests {
    static func staticCall(localPort: UInt16, remotePort: UInt16, key: SRTPMasterKey, remoteKey: SRTPMasterKey,
                           timeout: Int = 0) -> String {
        """
        call:
          remote: "127.0.0.1:\(remotePort)"
          local-port: \(localPort)
          srtp-key: "\(key.inlineKey)"
          srtp-remote-key: "\(remoteKey.inlineKey)"
          media-timeout: \(timeout)
        """
    }

    @Test("a receive key that does not match the sender's: every packet fails authentication, playout stays silent")
    func wrongKey() async throws {
        let portA = try UDPPorts.free(), portB = try UDPPorts.free()
        let keyA = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let keyB = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let wrong = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        // A expects B's real key; B expects a key A does not send with.
        let a = try await CallPeer(tone: 700, yaml: Self.staticCall(localPort: portA, remotePort: portB, key: keyA, remoteKey: keyB))
        let b = try await CallPeer(tone: 1300, yaml: Self.staticCall(localPort: portB, remotePort: portA, key: keyB, remoteKey: wrong))
        defer {
            a.stop()
            b.stop()
        }
        let failing = try await b.waitForStats { (CallJSON.number($0, "authFailures") ?? 0) >= 50 }
        #expect((CallJSON.number(failing, "authFailures") ?? 0) >= 50, "B did not count authentication failures: \(failing)")
        // Sample B's playout for a while: never a level, never a packet accepted.
        for _ in 0..<10 {
            let stats = try await b.stats()
            #expect(stats["outputLevelDBFS"] == nil, "B played something from unauthenticated packets: \(stats)")
            #expect(CallJSON.number(stats, "packetsReceived") == 0)
            #expect(CallJSON.number(stats, "plcFrames") == 0 && CallJSON.number(stats, "fecFrames") == 0)
            try await Task.sleep(for: .seconds(0.1))
        }
        // The other direction has the right key and works: the failures are the key's, not the path's.
        let good = try await a.waitForStats { (CallJSON.number($0, "outputLevelDBFS") ?? -200) > -30 }
        #expect((CallJSON.number(good, "outputLevelDBFS") ?? -200) > -30, "A does not hear B: \(good)")
        #expect(CallJSON.number(good, "authFailures") == 0)
        #expect(try await b.status()["call"] as? [String: Any] != nil, "the call must go on (the key may be fixed by a re-offer)")
    }

    @Test("no media from the far end for call.media-timeout seconds ends the call with reason timeout")
    func mediaTimeout() async throws {
        let peer = try await CallPeer(tone: 700, yaml: "call: { media-timeout: 2 }")
        defer { peer.stop() }
        let silentPort = try UDPPorts.free()
        let started = Date()
        let call = try await peer.control.result("call.start", [
            "remote": "127.0.0.1:\(silentPort)",
            "srtp": ["suite": "AES_CM_128_HMAC_SHA1_80", "key": SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80).inlineKey],
        ])
        #expect(call["remote"] as? String == "127.0.0.1:\(silentPort)")
        let ended = try await peer.events.wait(for: "callEnded", timeout: 6)
        let elapsed = Date().timeIntervalSince(started)
        #expect(ended?["reason"] as? String == "timeout", "\(String(describing: ended)) \(peer.daemon.log)")
        #expect(elapsed >= 1.9 && elapsed < 4, "the call ended after \(elapsed) s for a 2 s media timeout")
        #expect(try await peer.status()["call"] is NSNull)
        #expect(peer.daemon.log.contains("no media from the far end"))
    }
}
