import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

/// Re-offers from the far end while the agent is muted — a new port (a re-INVITE after a
/// network change or an SBC media move), a new key, a new payload type, hold and resume —
/// each checked on the wire: the far end decrypts and decodes what arrives, the agent stays
/// muted throughout, and the call is never restarted (no BYE, no callEnded/callStarted, one
/// SSRC with continuous sequence numbers).
@Suite("Renegotiation retargets the live call", .serialized)
struct CallRenegotiationTests {
    /// The far end's side of the SDP: its own session, version, port, key and payload type.
    struct FarOffer {
        var session = UInt64.random(in: 1...UInt64(1) << 40)
        var version: UInt64 = 1
        var port: UInt16
        var key: SRTPMasterKey
        var payloadType: UInt8 = 111
        var direction = "sendrecv"

        var sdp: String {
            """
            v=0\r
            o=farend \(session) \(version) IN IP4 127.0.0.1\r
            s=-\r
            c=IN IP4 127.0.0.1\r
            t=0 0\r
            m=audio \(port) RTP/SAVP \(payloadType)\r
            a=rtpmap:\(payloadType) opus/48000/2\r
            a=fmtp:\(payloadType) useinbandfec=1\r
            a=rtcp-mux\r
            a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.inlineKey)\r
            a=\(direction)\r

            """
        }
    }

    /// A free UDP port on loopback, for the next place the far end moves to.
    static func freePort() throws -> UInt16 {
        try UDPSocket(localPort: 0, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true).localAddress.port
    }

    /// The key softphoned sends with, from its answer.
    static func answerKey(_ answer: String) throws -> SRTPMasterKey {
        let line = try #require(answer.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=crypto:") })
        let inline = try #require(line.split(separator: " ").first { $0.hasPrefix("inline:") })
        return try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, inline: String(inline))
    }

    @Test("new port, new key, new payload type, hold and resume while muted: media follows, mute holds, no restart")
    func renegotiateWhileMuted() async throws {
        let peer = try await CallPeer(tone: 1000, yaml: "call: { media-timeout: 0 }")
        defer { peer.stop() }
        let sender = try RTPToneSender()
        defer { sender.stop() }
        sender.setTone(true)

        // The far end calls in.
        var offer = FarOffer(port: try Self.freePort(), key: sender.key)
        let answer = try await peer.control.result("call.accept", ["sdp": offer.sdp])["sdp"] as? String ?? ""
        let ourKey = try Self.answerKey(answer)
        let localPort = try #require(SDPText.audioPort(answer))
        let daemonAddress = try SocketAddress(host: "127.0.0.1", port: localPort)
        var receivers = [try WireReceiver(key: ourKey, localPort: offer.port)]
        defer { receivers.forEach { $0.stop() } }
        sender.send(to: daemonAddress)
        #expect(try await receivers[0].wait(forPackets: 10), "no media at the first port: \(peer.daemon.log)")

        let muted = try await peer.control.result("mute")
        #expect(muted["muted"] as? Bool == true)
        let eventsBefore = peer.events.types.count
        // Past Opus' own delay, every packet of a muted line is exact digital silence.
        try await Task.sleep(for: .seconds(0.1))

        /// Re-offers, checks the answer keeps our key and port, and returns the stats after media flowed.
        /// `answered` runs once the answer is back: where the far end starts sending with what it
        /// offered (RFC 4568 §7.1.4: new keys are used once the answer says they were taken).
        func reoffer(_ change: (inout FarOffer) -> Void, expectMedia: Bool = true,
                     answered: () -> Void = {}) async throws -> (received: Double, auth: Double) {
            let before = try await peer.stats()
            change(&offer)
            offer.version += 1
            let reply = try await peer.control.result("call.accept", ["sdp": offer.sdp])["sdp"] as? String ?? ""
            answered()
            #expect(try Self.answerKey(reply) == ourKey, "our key is kept across re-offers")
            #expect(SDPText.audioPort(reply) == localPort, "our port is kept across re-offers")
            #expect(try await peer.status()["muted"] as? Bool == true, "the agent stays muted")
            let received = CallJSON.number(before, "packetsReceived") ?? 0
            let after = try await peer.waitForStats(timeout: 5) { (CallJSON.number($0, "packetsReceived") ?? 0) > received + 10 }
            return (CallJSON.number(after, "packetsReceived") ?? 0, CallJSON.number(after, "authFailures") ?? 0)
        }

        // 1. The far end moves to a new port (the re-INVITE after a network change).
        let port1 = try Self.freePort()
        receivers.append(try WireReceiver(key: ourKey, localPort: port1))
        _ = try await reoffer { $0.port = port1 }
        #expect(try await receivers[1].wait(forPackets: 20), "no media at the new port")

        // 2. The far end changes its key: softphoned decrypts the new stream, not a single failure more.
        let authBefore = CallJSON.number(try await peer.stats(), "authFailures") ?? 0
        let newKey = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let afterKey = try await reoffer({ $0.key = newKey }, answered: { sender.key = newKey })
        #expect(afterKey.auth <= authBefore + 5, "the far end's new key is used at once (\(afterKey.auth - authBefore) failures)")
        let countAfterKey = receivers[1].received.count
        #expect(try await receivers[1].wait(forPackets: countAfterKey + 20), "media stopped after the key change")

        // 3. A new payload type for Opus, both ways.
        sender.setPayloadType(109)
        _ = try await reoffer { $0.payloadType = 109 }
        let countAfterPT = receivers[1].received.count
        #expect(try await receivers[1].wait(forPackets: countAfterPT + 20))
        #expect(receivers[1].received.suffix(10).allSatisfy { $0.payloadType == 109 }, "packets carry the new payload type")

        // 4. Hold (the far end sends sendonly: softphoned stops sending) and resume.
        _ = try await reoffer { $0.direction = "sendonly" }
        try await Task.sleep(for: .seconds(0.1))
        let onHold = receivers[1].received.count
        try await Task.sleep(for: .seconds(0.4))
        #expect(receivers[1].received.count <= onHold + 1, "softphoned kept sending on hold")
        _ = try await reoffer { $0.direction = "sendrecv" }
        #expect(try await receivers[1].wait(forPackets: onHold + 20), "media did not resume")

        // Through all of it: muted, no mute events, no restart.
        #expect(try await peer.status()["muted"] as? Bool == true)
        let later = Array(peer.events.types[eventsBefore...])
        #expect(!later.contains("unmute") && !later.contains("mute"), "mute events during renegotiation: \(later)")
        #expect(!later.contains("callEnded") && !later.contains("callStarted"), "the call restarted: \(later)")
        #expect(peer.events.types.filter { $0 == "callStarted" }.count == 1)
        #expect(!receivers.contains { $0.sawBye }, "an RTCP BYE went out")

        // The wire: one SSRC, sequence numbers continuous across the moves, every muted packet silent.
        let first = receivers[0].received, second = receivers[1].received
        let all = (first + second).sorted { $0.arrival < $1.arrival }
        #expect(Set(all.map(\.ssrc)).count == 1, "the SSRC changed")
        let steps = zip(second, second.dropFirst()).map { $0.1.sequence &- $0.0.sequence }
        #expect(steps.allSatisfy { $0 == 1 }, "sequence gaps at the new port: \(Set(steps))")
        if let lastOld = first.last, let firstNew = second.first {
            #expect(firstNew.sequence &- lastOld.sequence < 20, "the sequence restarted on the move")
        }
        #expect(second.allSatisfy { $0.peak == 0 }, "a muted packet carried audio after a renegotiation: \(second.enumerated().filter { $0.element.peak != 0 }.map { "#\($0.offset) seq \($0.element.sequence) peak \($0.element.peak)" })")
        #expect(receivers.allSatisfy { $0.authenticationFailures == 0 })

        // Unmuted, the tone is back at the far end's current port.
        _ = try await peer.control.result("unmute")
        let count = receivers[1].received.count
        #expect(try await receivers[1].wait(forPackets: count + 25))
        #expect(receivers[1].received.suffix(5).allSatisfy { $0.rmsDBFS > -25 }, "the tone is back after unmute")
    }

    @Test("an offer from another session during a call is refused with 1002 and the call goes on")
    func otherSessionRefused() async throws {
        let peer = try await CallPeer(tone: 1000, yaml: "call: { media-timeout: 0 }")
        defer { peer.stop() }
        let offer = FarOffer(port: try Self.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        let answer = try await peer.control.result("call.accept", ["sdp": offer.sdp])["sdp"] as? String ?? ""
        let receiver = try WireReceiver(key: try Self.answerKey(answer), localPort: offer.port)
        defer { receiver.stop() }
        #expect(try await receiver.wait(forPackets: 10))

        var other = FarOffer(port: try Self.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        other.session = offer.session + 1
        let refused = try await peer.error("call.accept", ["sdp": other.sdp])
        #expect(refused.code == 1002, "\(refused)")
        #expect(refused.message.contains("session"))

        var stale = offer
        stale.version = 0
        let old = try await peer.error("call.accept", ["sdp": stale.sdp])
        #expect(old.code == 1004, "an older version of the session is refused: \(old)")

        let count = receiver.received.count
        #expect(try await receiver.wait(forPackets: count + 10), "the call did not go on")
        #expect(!peer.events.types.contains("callEnded"))
        #expect(peer.events.types.filter { $0 == "callStarted" }.count == 1)
    }
}
