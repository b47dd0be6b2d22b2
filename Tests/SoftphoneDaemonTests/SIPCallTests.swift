import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Synchronization
import Testing

/// softphoned as a SIP phone, called by a far end that writes its SIP by hand over UDP (so it
/// can move its media, change keys and send what no well-behaved agent sends), with the
/// media decrypted and decoded where it arrives.
@Suite("SIP calls: answer, re-INVITEs while muted, refusals, hostile input", .serialized)
struct SIPCallTests {
    typealias FarOffer = CallRenegotiationTests.FarOffer

    /// softphoned with a 1 kHz tone, listening for SIP on a loopback UDP port.
    static func startPhone(autoAnswer: String = "always", extra: String = "") async throws -> (CallPeer, SocketAddress) {
        let port = try CallRenegotiationTests.freePort()
        let peer = try await CallPeer(tone: 1000, yaml: """
            call: { media-timeout: 0 }
            mute: { sync-device: false }
            sip:
              enabled: true
              listen: ["udp:127.0.0.1:\(port)"]
              auto-answer: \(autoAnswer)
            \(extra)
            """)
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        // The SIP port is bound beside the control socket.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, (CallJSON.object(try await peer.status(), "sip")?["listen"] as? [String])?.isEmpty ?? true {
            try await Task.sleep(for: .seconds(0.02))
        }
        return (peer, address)
    }

    /// A far end that called softphoned at `address` (answered by itself), and its receiver of
    /// softphoned's media, which has seen the first packets.
    static func answeredCall(at address: SocketAddress) async throws -> (RawSIPPeer, FarOffer, WireReceiver) {
        let caller = try RawSIPPeer(target: address)
        let offer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        let answered = try await #require(caller.invite(offer.sdp))
        let receiver = try WireReceiver(key: try CallRenegotiationTests.answerKey(answered.body), localPort: offer.port)
        #expect(try await receiver.wait(forPackets: 10))
        return (caller, offer, receiver)
    }

    static func milliseconds(_ from: UInt64, _ to: UInt64) -> Double { Double(Int64(bitPattern: to &- from)) / 1e6 }

    @Test("an INVITE is answered by itself (100, 180, 200 with our answer), then new port, new key, hold and resume by re-INVITE while muted: media follows, mute holds, no restart, no audio leaks")
    func reInvitesWhileMuted() async throws {
        let (peer, address) = try await Self.startPhone()
        defer { peer.stop() }
        let sip = try RawSIPPeer(target: address)
        defer { sip.stop() }

        var offer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        let sentAt = MonotonicClock.now()
        let answered = try await #require(sip.invite(offer.sdp), "no final response to the INVITE: \(peer.daemon.log)")
        #expect(answered.status == 200, "\(answered)")
        let ringing = sip.received.first { $0.status == 180 }
        #expect(ringing != nil, "no 180 Ringing before the 200")
        print("INVITE → 180 in \(ringing.map { Self.milliseconds(sentAt, $0.arrival) } ?? -1) ms, → 200 (auto-answer) in \(Self.milliseconds(sentAt, answered.arrival)) ms")
        let ourKey = try CallRenegotiationTests.answerKey(answered.body)
        let ourPort = try #require(SDPText.audioPort(answered.body))
        var receivers = [try WireReceiver(key: ourKey, localPort: offer.port)]
        defer { receivers.forEach { $0.stop() } }
        #expect(try await receivers[0].wait(forPackets: 10), "no media at the first port: \(peer.daemon.log)")
        if let first = receivers[0].received.first {
            print("200 OK → first media packet at the far end: \(Self.milliseconds(answered.arrival, first.arrival)) ms")
        }
        let call = try #require(CallJSON.object(try await peer.status(), "call"))
        #expect(call["state"] as? String == "connected")
        #expect(CallJSON.object(call, "sip")?["callId"] as? String == sip.callID)
        #expect(CallJSON.object(call, "sip")?["direction"] as? String == "incoming")

        #expect(try await peer.control.result("mute")["muted"] as? Bool == true)
        let eventsBefore = peer.events.types.count
        try await Task.sleep(for: .seconds(0.1))

        func reinvite(_ change: (inout FarOffer) -> Void) async throws {
            change(&offer)
            offer.version += 1
            let reply = try await #require(sip.invite(offer.sdp), "no answer to the re-INVITE")
            #expect(reply.status == 200, "\(reply)")
            #expect(try CallRenegotiationTests.answerKey(reply.body) == ourKey, "our key is kept across re-INVITEs")
            #expect(SDPText.audioPort(reply.body) == ourPort, "our port is kept across re-INVITEs")
            #expect(try await peer.status()["muted"] as? Bool == true, "the agent stays muted")
        }

        // 1. The far end moves its media to a new port (an SBC's media move, a persistent connection's next customer).
        let port1 = try CallRenegotiationTests.freePort()
        receivers.append(try WireReceiver(key: ourKey, localPort: port1))
        try await reinvite { $0.port = port1 }
        #expect(try await receivers[1].wait(forPackets: 20), "no media at the new port")
        // 2. New keys.
        try await reinvite { $0.key = .random(suite: .aesCM128HMACSHA1_80) }
        let afterKey = receivers[1].received.count
        #expect(try await receivers[1].wait(forPackets: afterKey + 20), "media stopped after the key change")
        // 3. Hold (sendonly: softphoned stops sending) and resume.
        try await reinvite { $0.direction = "sendonly" }
        #expect(CallJSON.object(try await peer.status(), "call")?["state"] as? String == "held")
        try await Task.sleep(for: .seconds(0.1))
        let onHold = receivers[1].received.count
        try await Task.sleep(for: .seconds(0.4))
        #expect(receivers[1].received.count <= onHold + 1, "softphoned kept sending on hold")
        try await reinvite { $0.direction = "sendrecv" }
        #expect(try await receivers[1].wait(forPackets: onHold + 20), "media did not resume")
        // 4. RFC 2543 hold (c=0.0.0.0, as PBXs still send it): nothing is sent, to anywhere; then back.
        offer.version += 1
        let legacy = try await #require(sip.invite(offer.sdp.replacingOccurrences(of: "c=IN IP4 127.0.0.1", with: "c=IN IP4 0.0.0.0")))
        #expect(legacy.status == 200, "\(legacy)")
        #expect(CallJSON.object(try await peer.status(), "call")?["state"] as? String == "held")
        try await Task.sleep(for: .seconds(0.1))
        let onLegacyHold = receivers[1].received.count
        try await Task.sleep(for: .seconds(0.4))
        #expect(receivers[1].received.count <= onLegacyHold + 1, "softphoned kept sending on a c=0.0.0.0 hold")
        try await reinvite { _ in }
        #expect(try await receivers[1].wait(forPackets: onLegacyHold + 20), "media did not resume after a c=0.0.0.0 hold")
        // 5. An offerless re-INVITE (a session refresh): our description comes back as the offer.
        let refresh = try await #require(sip.invite(""))
        #expect(refresh.status == 200 && SDPText.audioPort(refresh.body) == ourPort, "\(refresh)")
        // 6. UPDATE (RFC 3311) moving the media once more.
        let port2 = try CallRenegotiationTests.freePort()
        receivers.append(try WireReceiver(key: ourKey, localPort: port2))
        offer.port = port2
        offer.version += 1
        let updated = try await #require(sip.request(method: "UPDATE", body: offer.sdp), "no answer to UPDATE")
        #expect(updated.status == 200 && SDPText.audioPort(updated.body) == ourPort, "\(updated)")
        #expect(try await receivers[2].wait(forPackets: 20), "no media at the port UPDATE named")
        // 7. DTMF from the far end as SIP INFO: one dtmf event.
        let dtmfBefore = peer.events.types.count
        let info = try await #require(sip.request(method: "INFO", body: "Signal=8\r\nDuration=160\r\n", contentType: "application/dtmf-relay"))
        #expect(info.status == 200, "\(info)")
        let digit = try await peer.events.wait(for: "dtmf", after: dtmfBefore)
        #expect(digit?["digit"] as? String == "8" && digit?["durationMs"] as? Int == 160, "\(String(describing: digit))")

        #expect(try await peer.status()["muted"] as? Bool == true)
        let later = Array(peer.events.types[eventsBefore...])
        #expect(!later.contains("unmute") && !later.contains("mute"), "mute events during re-INVITEs: \(later)")
        #expect(!later.contains("callEnded") && !later.contains("callStarted"), "the call restarted: \(later)")
        let second = receivers[1].received + receivers[2].received
        #expect(Set((receivers[0].received + second).map(\.ssrc)).count == 1, "the SSRC changed")
        #expect(second.allSatisfy { $0.peak == 0 }, "a muted packet carried audio after a re-INVITE: \(second.filter { $0.peak != 0 }.map(\.sequence))")
        #expect(receivers.allSatisfy { $0.authenticationFailures == 0 })

        _ = try await peer.control.result("unmute")
        let count = receivers[2].received.count
        #expect(try await receivers[2].wait(forPackets: count + 25))
        #expect(receivers[2].received.suffix(5).allSatisfy { $0.rmsDBFS > -25 }, "the tone is back after unmute")

        // The far end's BYE ends it: reason bye.
        #expect(try await sip.bye()?.status == 200)
        let ended = try await peer.events.wait(for: "callEnded", after: eventsBefore)
        #expect(ended?["reason"] as? String == "bye", "\(String(describing: ended))")
    }

    @Test("an offer without usable SRTP gets 488 with a Warning; a late offer is answered with ours and media flows once the ACK brings the answer")
    func refusalsAndLateOffer() async throws {
        let (peer, address) = try await Self.startPhone()
        defer { peer.stop() }
        let plain = try RawSIPPeer(target: address)
        defer { plain.stop() }
        let avp = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80)).sdp
            .replacingOccurrences(of: "RTP/SAVP", with: "RTP/AVP")
            .split(separator: "\r\n").filter { !$0.hasPrefix("a=crypto") }.joined(separator: "\r\n") + "\r\n"
        let refused = try await #require(plain.invite(avp))
        #expect(refused.status == 488, "\(refused)")
        #expect(refused.header("Warning")?.hasPrefix("399 softphoned \"") == true, "\(refused)")
        #expect(try await peer.status()["call"] is NSNull)

        // Late offer: the INVITE has no body, our 200 carries the offer, the ACK the answer.
        let late = try RawSIPPeer(target: address)
        defer { late.stop() }
        late.sendRaw(late.request("INVITE", cseq: 2))
        let ok = try #require(try await late.wait(timeout: 5) { $0.status == 200 }, "no 200 to a late-offer INVITE: \(peer.daemon.log)")
        let ourKey = try CallRenegotiationTests.answerKey(ok.body)
        if let to = ok.header("To"), let range = to.range(of: "tag=") { _ = range }
        let answer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        let receiver = try WireReceiver(key: ourKey, localPort: answer.port)
        defer { receiver.stop() }
        var ack = late.request("ACK", body: answer.sdp, cseq: 2)
        if let to = ok.header("To") { ack = ack.replacingOccurrences(of: "To: <sip:agent@\(address.host):\(address.port)>", with: "To: \(to)") }
        late.sendRaw(ack)
        #expect(try await receiver.wait(forPackets: 10), "no media after the ACK's answer: \(peer.daemon.log)")
    }

    @Test("while ringing: a second INVITE gets 486, the caller's CANCEL ends the call (reason cancelled); call.reject answers 603")
    func ringingCalls() async throws {
        let (peer, address) = try await Self.startPhone(autoAnswer: "off")
        defer { peer.stop() }
        let first = try RawSIPPeer(target: address)
        defer { first.stop() }
        let offer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        first.sendRaw(first.request("INVITE", body: offer.sdp, cseq: 1, branch: "z9hG4bKfirst1"))
        #expect(try await first.wait(timeout: 5) { $0.status == 180 } != nil, "no 180")
        let incoming = try await peer.events.wait(for: "incomingCall")
        #expect(incoming?["callId"] as? String == first.callID)
        #expect(incoming?["autoAnswer"] as? Bool == false)
        #expect(CallJSON.object(try await peer.status(), "call")?["state"] as? String == "ringing")

        let second = try RawSIPPeer(target: address)
        defer { second.stop() }
        #expect(try await second.invite(offer.sdp)?.status == 486, "a second call must get 486 Busy Here")

        // CANCEL matches the INVITE's branch.
        let cancel = first.request("CANCEL", cseq: 1, branch: "z9hG4bKfirst1").replacingOccurrences(of: "CSeq: 1 CANCEL", with: "CSeq: 1 CANCEL")
        first.sendRaw(cancel)
        #expect(try await first.wait(timeout: 5) { $0.status == 487 } != nil, "the INVITE was not ended with 487 after CANCEL")
        let ended = try await peer.events.wait(for: "callEnded")
        #expect(ended?["reason"] as? String == "cancelled", "\(String(describing: ended))")
        #expect(try await peer.status()["call"] is NSNull)

        // call.reject with 603.
        let third = try RawSIPPeer(target: address)
        defer { third.stop() }
        third.sendRaw(third.request("INVITE", body: offer.sdp, cseq: 1))
        #expect(try await third.wait(timeout: 5) { $0.status == 180 } != nil)
        #expect(try await peer.control.result("call.reject", ["code": 603])["rejected"] as? Bool == true)
        #expect(try await third.wait(timeout: 5) { $0.status == 603 } != nil, "call.reject did not send 603")
    }

    @Test("hostile SIP input — garbage, malformed headers, a 60 KB body, bad SDP, an INVITE storm — leaves the daemon alive and the current call untouched")
    func hostileInput() async throws {
        let (peer, address) = try await Self.startPhone()
        defer { peer.stop() }
        let (caller, offer, receiver) = try await Self.answeredCall(at: address)
        defer { caller.stop(); receiver.stop() }
        let callID = CallJSON.object(try await peer.status(), "call")?["id"] as? String

        let attacker = try RawSIPPeer(target: address)
        defer { attacker.stop() }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 { attacker.sendRaw((0..<Int.random(in: 1...1400)).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
        attacker.sendRaw("INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: garbage\r\nCSeq: x\r\n\r\n")
        attacker.sendRaw(attacker.request("INVITE", body: offer.sdp, extra: ["Call-Info: <<<;answer-after=-1", "Alert-Info: \u{1}\u{2}", "Answer-Mode: " + String(repeating: "A", count: 4000)]))
        attacker.sendRaw(attacker.request("INVITE", body: String(repeating: "a=x\r\n", count: 12_000)))
        attacker.sendRaw(attacker.request("INVITE", body: "v=0\r\nm=audio 0 RTP/SAVP\r\nc=IN IP4 999.1.1.1\r\n"))
        attacker.sendRaw(attacker.request("INFO", body: "Signal=\u{0}\r\nDuration=-5", contentType: "application/dtmf-relay"))
        for n in 0..<200 {
            let storm = try RawSIPPeer(target: address)
            storm.sendRaw(storm.request("INVITE", body: offer.sdp, cseq: n + 1))
            storm.stop()
        }
        try await Task.sleep(for: .seconds(1))
        let status = try await peer.status()
        #expect(CallJSON.object(status, "call")?["id"] as? String == callID, "the call was replaced or ended: \(status)")
        #expect(CallJSON.object(status, "call")?["state"] as? String == "connected")
        let count = receiver.received.count
        #expect(try await receiver.wait(forPackets: count + 25), "the call's media stopped")
        #expect(!peer.events.types.contains("callEnded"))
        #expect(peer.daemon.isRunning)
    }

    @Test("softphonectl as a user types it: status shows the ringing SIP call; answer, hold, resume, dtmf, hangup; dial without SIP registration is refused with 1006")
    func softphonectlPhoneVerbs() async throws {
        let (peer, address) = try await Self.startPhone(autoAnswer: "off")
        defer { peer.stop() }
        func ctl(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await ServiceTests.softphonectl(["--socket", peer.daemon.socketPath] + arguments)
        }
        let caller = try RawSIPPeer(target: address)
        defer { caller.stop() }
        let offer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        caller.sendRaw(caller.request("INVITE", body: offer.sdp, cseq: 1))
        #expect(try await caller.wait(timeout: 5) { $0.status == 180 } != nil)

        let ringing = try await ctl(["status"])
        #expect(ringing.stdout.contains("call: ringing incoming SIP call from \"Raw Caller\" sip:caller@127.0.0.1"), "\(ringing.stdout)")
        #expect(ringing.stdout.contains("sip: not registering (no sip.aor): direct calls only"), "\(ringing.stdout)")

        let answered = try await ctl(["answer"])
        #expect(answered.status == 0, "\(answered.stderr)")
        #expect(answered.stdout.contains("call: connected incoming SIP call"), "\(answered.stdout)")
        let ok = try #require(try await caller.wait(timeout: 5) { $0.status == 200 })
        var ack = caller.request("ACK", cseq: 1)
        if let to = ok.header("To") { ack = ack.replacingOccurrences(of: "To: <sip:agent@\(address.host):\(address.port)>", with: "To: \(to)") }
        caller.sendRaw(ack)
        let receiver = try WireReceiver(key: try CallRenegotiationTests.answerKey(ok.body), localPort: offer.port)
        defer { receiver.stop() }
        #expect(try await receiver.wait(forPackets: 10))

        // Our re-INVITEs reach the far end, which answers them with 200 (no SDP: refused cleanly, 1007).
        let hold = try await ctl(["hold"])
        #expect(hold.status == 1 && hold.stderr.contains("1007"), "a re-INVITE answered without SDP: \(hold.stderr)")
        #expect(caller.received.contains { $0.method == "INVITE" && $0.body.contains("a=sendonly") }, "no hold re-INVITE went out")
        #expect(try await ctl(["dtmf", "12"]).status == 0)
        let ended = try await ctl(["hangup"])
        #expect(ended.status == 0 && ended.stdout.contains("call ended"), "\(ended)")
        #expect(try await caller.wait(timeout: 5) { $0.method == "BYE" } != nil, "no BYE")

        let dial = try await ctl(["dial", "1002"])
        #expect(dial.status == 1 && dial.stderr.contains("1002 needs a domain"), "\(dial)")
        let unknown = try await ctl(["reject"])
        #expect(unknown.status == 1 && unknown.stderr.contains("1001"), "\(unknown)")
    }

    @Test("call.hold meets glare: the far end's 491 is retried after RFC 3261's delay and the hold lands; call.resume takes it back; muted throughout")
    func holdWithGlare() async throws {
        let (peer, address) = try await Self.startPhone()
        defer { peer.stop() }
        let (caller, offer, receiver) = try await Self.answeredCall(at: address)
        defer { caller.stop(); receiver.stop() }
        #expect(try await peer.control.result("mute")["muted"] as? Bool == true)

        // The first re-INVITE meets a request of the far end's own (491); the retry is answered.
        let attempts = Mutex(0)
        caller.answerRequests { request in
            guard request.method == "INVITE" else { return (200, "") }
            let attempt = attempts.withLock { $0 += 1; return $0 }
            if attempt == 1 { return (491, "") }
            var answer = offer
            answer.version += UInt64(attempt)
            answer.direction = request.body.contains("a=sendonly") ? "recvonly" : "sendrecv"
            return (200, answer.sdp)
        }
        let start = Date()
        let held = try await peer.control.result("call.hold")
        let seconds = Date().timeIntervalSince(start)
        #expect(held["state"] as? String == "held", "\(held)")
        #expect(attempts.withLock { $0 } == 2, "one 491, then the retry")
        // We did not make the Call-ID: the retry waits 0–2 s (RFC 3261 §14.1).
        #expect(seconds < 2.5, "the retry took \(seconds) s")
        try await Task.sleep(for: .seconds(0.1))
        let onHold = receiver.received.count
        try await Task.sleep(for: .seconds(0.4))
        #expect(receiver.received.count <= onHold + 1, "softphoned sent media while holding the call")

        let resumed = try await peer.control.result("call.resume")
        #expect(resumed["state"] as? String == "connected", "\(resumed)")
        #expect(try await receiver.wait(forPackets: onHold + 20), "media did not come back after resume")
        #expect(try await peer.status()["muted"] as? Bool == true, "the mute state changed across our re-INVITEs")
        #expect(receiver.received.suffix(10).allSatisfy { $0.peak == 0 }, "audio while muted after resume")
    }

    @Test("a far end that has lost the dialog (481 to our re-INVITE) ends the call: callEnded with reason failed and status 481, call.hold says why")
    func lostDialogEndsTheCall() async throws {
        let (peer, address) = try await Self.startPhone()
        defer { peer.stop() }
        let (caller, _, receiver) = try await Self.answeredCall(at: address)
        defer { caller.stop(); receiver.stop() }
        let events = peer.events.types.count
        caller.answerRequests { request in request.method == "INVITE" ? (481, "") : (200, "") }
        let error = try await peer.error("call.hold")
        #expect(error.code == 1007 && error.message.contains("481"), "\(error)")
        let ended = try await peer.events.wait(for: "callEnded", after: events)
        #expect(ended?["reason"] as? String == "failed" && ended?["status"] as? Int == 481, "\(String(describing: ended))")
        #expect(CallJSON.object(try await peer.status(), "call") == nil)
    }

    @Test("a re-INVITE to another codec (Opus → PCMU) while muted: the live media switches codec, one SSRC, every PCMU packet µ-law silence until unmute")
    func codecChangeWhileMuted() async throws {
        let (peer, address) = try await Self.startPhone()
        defer { peer.stop() }
        let sip = try RawSIPPeer(target: address)
        defer { sip.stop() }
        var offer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        let answered = try #require(try await sip.invite(offer.sdp))
        let ourKey = try CallRenegotiationTests.answerKey(answered.body)
        let receiver = try WireReceiver(key: ourKey, localPort: offer.port)
        defer { receiver.stop() }
        #expect(try await receiver.wait(forPackets: 10))
        #expect(try await peer.control.result("mute")["muted"] as? Bool == true)

        offer.version += 1
        let pcmu = offer.sdp.replacingOccurrences(of: "RTP/SAVP 111", with: "RTP/SAVP 0")
            .split(separator: "\r\n").filter { !$0.hasPrefix("a=rtpmap:111") && !$0.hasPrefix("a=fmtp:111") }
            .joined(separator: "\r\n") + "\r\n"
        let reply = try #require(try await sip.invite(pcmu))
        #expect(reply.status == 200 && reply.body.contains("RTP/SAVP 0"), "\(reply)")
        #expect(CallJSON.object(try await peer.status(), "call")?["codec"] as? String == "pcmu")
        let before = receiver.received.count
        #expect(try await receiver.wait(forPackets: before + 30), "media stopped after the codec change")
        let packets = receiver.received
        let ulaw = packets.filter { $0.payloadType == 0 }
        #expect(ulaw.count >= 20, "no PCMU packets after the re-INVITE")
        #expect(Set(packets.map(\.ssrc)).count == 1, "the SSRC changed with the codec")
        #expect(ulaw.allSatisfy { $0.payload.count == 160 && $0.payload.allSatisfy { $0 == 0xFF } },
                "a muted PCMU packet carried audio: \(ulaw.filter { !$0.payload.allSatisfy { $0 == 0xFF } }.map(\.sequence))")
        #expect(try await peer.status()["muted"] as? Bool == true)

        _ = try await peer.control.result("unmute")
        let count = receiver.received.count
        #expect(try await receiver.wait(forPackets: count + 25))
        #expect(receiver.received.suffix(5).allSatisfy { $0.payloadType == 0 && !$0.payload.allSatisfy { $0 == 0xFF } },
                "the tone is not back in PCMU after unmute")
    }
}
