import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import SIPTestPeers
import Testing

/// softphoned registered with a real registrar and proxy (kamailio, digest with qop=auth) and
/// calling, and called by, a real SIP phone (baresip) through it.
@Suite("SIP with a registrar: kamailio and baresip", .serialized, .timeLimit(.minutes(2)))
struct SIPRegistrarTests {
    static let users = ["alice": "alice-secret", "bob": "bob-secret"]

    /// softphoned as alice, registering with `kamailio` over `transport`.
    static func startAlice(_ kamailio: Kamailio, transport: SIPTransport, password: String = "alice-secret",
                           expires: Int = 300, extra: String = "") async throws -> CallPeer {
        let directory = try TemporaryDirectory.make(prefix: "sip-alice")
        let passwordFile = directory.appendingPathComponent("sip-password")
        try password.write(to: passwordFile, atomically: true, encoding: .utf8)
        let port = try CallRenegotiationTests.freePort()
        let registrar = transport == .tls ? "sips:127.0.0.1:\(kamailio.tlsPort)" : kamailio.uri(transport)
        return try await CallPeer(tone: 1000, yaml: """
            call: { media-timeout: 0 }
            mute: { sync-device: false }
            sip:
              enabled: true
              aor: "sip:alice@127.0.0.1"
              password-file: "\(passwordFile.path)"
              registrar: "\(registrar)"
              listen: ["udp:127.0.0.1:\(port)", "tcp:127.0.0.1:\(port)", "tls:127.0.0.1:\(port + 1)"]
              tls-ca-file: "\(kamailio.caFile.path)"
              expires: \(expires)
            \(extra)
            """)
    }

    static func registration(_ peer: CallPeer) async -> [String: Any]? {
        (try? await peer.status()).flatMap { CallJSON.object($0, "sip") }
    }

    static func waitRegistered(_ peer: CallPeer, timeout: Double = 10) async -> Bool {
        let registered = try? await eventually(timeout: .seconds(timeout), poll: .milliseconds(20)) {
            await registration(peer)?["registration"] as? String == "registered"
        }
        return registered ?? false
    }

    /// REGISTER received → 200 sent, at the registrar, for the last registration of `user`.
    static func registerMilliseconds(_ kamailio: Kamailio, user: String) -> Double? {
        let messages = kamailio.messages()
        guard let ok = messages.last(where: { $0.direction == .sent && $0.statusCode == 200 && $0.cseqMethod == "REGISTER" && ($0.header("To") ?? "").contains(user) }),
              let request = messages.last(where: { $0.direction == .received && $0.method == "REGISTER" && $0.callID == ok.callID && $0.time <= ok.time })
        else { return nil }
        return (ok.time - request.time) * 1000
    }

    @Test("registers over UDP, TCP and TLS (certificate verified against the CA), answering the 401 digest challenge", arguments: [SIPTransport.udp, .tcp, .tls])
    func registers(transport: SIPTransport) async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let alice = try await Self.startAlice(kamailio, transport: transport)
        defer { alice.stop() }
        let registered = await Self.waitRegistered(alice)
        let registration = await Self.registration(alice)
        #expect(registered, "not registered over \(transport): \(String(describing: registration))\n\(alice.daemon.log)")
        #expect(try await kamailio.isRegistered("alice"))
        let registers = kamailio.messages().filter { $0.direction == .received && $0.method == "REGISTER" }
        #expect(registers.contains { $0.header("Authorization")?.contains("qop=auth") == true && $0.transport.lowercased() == transport.rawValue },
                "no authorized REGISTER over \(transport): \(registers.map(\.transport))")
        print("REGISTER → 200 over \(transport): \(Self.registerMilliseconds(kamailio, user: "alice").map { String(format: "%.1f ms", $0) } ?? "?") at the registrar")
        // The password never shows.
        #expect(!alice.daemon.log.contains("alice-secret"))
        #expect(!String(describing: try await alice.status()).contains("alice-secret"))
    }

    @Test("the registration's UDP flow is kept alive with OPTIONS every sip.keepalive-s")
    func keepAlive() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let alice = try await Self.startAlice(kamailio, transport: .udp, extra: "  keepalive-s: 1")
        defer { alice.stop() }
        #expect(await Self.waitRegistered(alice))
        try await Task.sleep(for: .seconds(3.5))
        let options = kamailio.messages().filter { $0.direction == .received && $0.method == "OPTIONS" }
        #expect(options.count >= 2, "\(options.count) keep-alive OPTIONS in 3.5 s at keepalive-s 1: \(kamailio.messages().map(\.startLine))")
    }

    @Test("a TLS registrar whose certificate the CA did not sign is refused (sip.tls-verify is on by default)")
    func untrustedCertificateRefused() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let other = try await Kamailio(users: Self.users)
        let directory = try TemporaryDirectory.make(prefix: "sip-alice")
        let passwordFile = directory.appendingPathComponent("sip-password")
        try "alice-secret".write(to: passwordFile, atomically: true, encoding: .utf8)
        let port = try CallRenegotiationTests.freePort()
        // The CA of another registrar: kamailio's certificate cannot be verified with it.
        let alice = try await CallPeer(tone: 1000, yaml: """
            mute: { sync-device: false }
            sip:
              enabled: true
              aor: "sip:alice@127.0.0.1"
              password-file: "\(passwordFile.path)"
              registrar: "sips:127.0.0.1:\(kamailio.tlsPort)"
              listen: ["udp:127.0.0.1:\(port)", "tls:127.0.0.1:\(port + 1)"]
              tls-ca-file: "\(other.caFile.path)"
            """)
        defer { alice.stop() }
        try await Task.sleep(for: .seconds(3))
        #expect(await Self.registration(alice)?["registration"] as? String != "registered")
        #expect(try await !kamailio.isRegistered("alice"))
    }

    @Test("a TLS registrar whose certificate names another host is refused, though the CA signed it")
    func certificateForAnotherHostRefused() async throws {
        let kamailio = try await Kamailio(users: Self.users, certificateNames: "DNS:pbx.example.org")
        let alice = try await Self.startAlice(kamailio, transport: .tls)
        defer { alice.stop() }
        try await Task.sleep(for: .seconds(3))
        #expect(await Self.registration(alice)?["registration"] as? String != "registered")
        #expect(try await !kamailio.isRegistered("alice"))
    }

    @Test("a wrong password fails once with the registrar's status, and is not retried in a loop")
    func wrongPassword() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let alice = try await Self.startAlice(kamailio, transport: .udp, password: "wrong")
        defer { alice.stop() }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, await Self.registration(alice)?["registration"] as? String != "failed" { try await Task.sleep(for: .milliseconds(20)) }
        let sip = try #require(await Self.registration(alice))
        #expect(sip["registration"] as? String == "failed", "\(sip)\n\(kamailio.messages().map { "\($0.direction) \($0.startLine) \($0.header("WWW-Authenticate") ?? "")" }.joined(separator: "\n"))")
        #expect((sip["reason"] as? String)?.contains("401") == true, "\(sip)")
        try await Task.sleep(for: .seconds(3))
        let registers = kamailio.messages().filter { $0.direction == .received && $0.method == "REGISTER" }
        #expect(registers.count <= 2, "REGISTER was retried \(registers.count) times with the same credentials")
    }

    @Test("a registrar that is down: registration fails with the transport's error and is retried with backoff until it registers; the registration events say so")
    func registrarDownThenUp() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        await kamailio.stop()
        let alice = try await Self.startAlice(kamailio, transport: .tcp)
        defer { alice.stop() }
        let failed = try await alice.events.wait(for: "registration", timeout: 10)
        // The first event may be `registering`; a failure follows.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, await Self.registration(alice)?["registration"] as? String != "failed" { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await Self.registration(alice)?["registration"] as? String == "failed", "\(String(describing: failed))")
        #expect((await Self.registration(alice)?["reason"] as? String)?.contains("retrying") == true)
        try await kamailio.start()
        let registered = try await eventually(timeout: .seconds(15), poll: .milliseconds(50)) {
            await Self.registration(alice)?["registration"] as? String == "registered"
        }
        #expect(registered, "\(alice.daemon.log)")
        #expect(alice.events.events.contains { $0["type"] as? String == "registration" && $0["state"] as? String == "registered" })
    }

    @Test("re-registers by itself after the registrar restarts and forgets every binding")
    func registrarRestart() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let alice = try await Self.startAlice(kamailio, transport: .udp, expires: 10)
        defer { alice.stop() }
        #expect(await Self.waitRegistered(alice))
        try await kamailio.restart()
        #expect(try await !kamailio.isRegistered("alice"), "the restarted registrar should have forgotten alice")
        let back = try await eventually(timeout: .seconds(15), poll: .milliseconds(100)) { try await kamailio.isRegistered("alice") }
        #expect(back, "alice did not register again within 15 s of the registrar's restart: \(alice.daemon.log)")
    }

    @Test("calls both ways through the proxy: dial with a 407 challenge, incoming call answered with call.accept, G.711 with RFC 4733 DTMF both ways, BYE")
    func callsThroughTheProxy() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let alice = try await Self.startAlice(kamailio, transport: .udp)
        defer { alice.stop() }
        let tone = try ToneFile.make(seconds: 30)
        let bob = try await Baresip(name: "bob", account: .registered("bob", with: kamailio, mediaEncryption: "srtp-mand",
                                                                        answerMode: .manual, audioCodecs: ["PCMU/8000/1"]),
                                    microphone: tone)
        defer { Task { await bob.stop() } }
        try await bob.waitUntilRegistered()
        #expect(await Self.waitRegistered(alice))

        // softphoned dials bob by his user name: the proxy challenges the INVITE with 407.
        let dialled = try await alice.control.result("call.dial", ["uri": "bob"])
        #expect(dialled["state"] as? String == "calling")
        try await bob.waitFor(event: "CALL_INCOMING")
        try await bob.accept()
        try await bob.waitFor(event: "CALL_ESTABLISHED")
        #expect(try await alice.events.wait(for: "callStarted") != nil, "\(alice.daemon.log)")
        #expect(kamailio.messages().contains { $0.direction == .sent && $0.statusCode == 407 && $0.cseqMethod == "INVITE" })
        #expect(CallJSON.object(try await alice.status(), "call")?["codec"] as? String == "pcmu")

        // DTMF both ways, RFC 4733 at 8000 Hz.
        let mark = bob.eventMark
        _ = try await alice.control.result("call.dtmf", ["digits": "5"])
        let heard = try await bob.waitFor(event: "CALL_DTMF_START", after: mark)
        #expect(heard.param == "5")
        let dtmfBefore = alice.events.types.count
        try await bob.sendDigit("7")
        let digit = try await alice.events.wait(for: "dtmf", after: dtmfBefore)
        #expect(digit?["digit"] as? String == "7", "\(String(describing: digit))")

        // Bob hangs up: callEnded with reason bye.
        let endedBefore = alice.events.types.count
        try await bob.hangup()
        let byeEnded = try await alice.events.wait(for: "callEnded", after: endedBefore)
        if byeEnded == nil {
            try? (kamailio.messages().map(\.description).joined(separator: "\n----\n") + "\n=====\n" + alice.daemon.log)
                .write(toFile: "/tmp/sip-debug.txt", atomically: true, encoding: .utf8)
        }
        #expect(byeEnded?["reason"] as? String == "bye")

        // Bob calls alice: it rings; call.accept answers; media flows; bob hears the 1 kHz tone.
        let ringBefore = alice.events.types.count
        try await bob.dial(kamailio.aor("alice"))
        let incoming = try await alice.events.wait(for: "incomingCall", after: ringBefore)
        #expect((incoming?["from"] as? String)?.contains("bob") == true, "\(String(describing: incoming))")
        let accepted = try await alice.control.result("call.accept", [:])
        #expect(accepted["state"] as? String == "connected", "\(accepted)")
        try await bob.waitFor(event: "CALL_ESTABLISHED", after: mark)
        try await Task.sleep(for: .seconds(2))
        try await bob.hangup()
        try await Task.sleep(for: .milliseconds(300))
        let file = try #require(bob.receivedAudioFile)
        let wav = try WAVFile(path: file.path)
        let report = ToneReport(samples: Array(wav.samples.suffix(AudioFormat.sampleRate)))
        #expect(report.isTone(1_000), "bob did not hear the agent's tone: \(report)")
    }

    @Test("an outgoing call rings (callProgress 180), hangup before the answer sends CANCEL; a refusal ends the next with its status; a user the registrar does not know, with 404")
    func outgoingProgressCancelAndRefusal() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let alice = try await Self.startAlice(kamailio, transport: .udp)
        defer { alice.stop() }
        let tone = try ToneFile.make(seconds: 5)
        let bob = try await Baresip(name: "bob", account: .registered("bob", with: kamailio, mediaEncryption: "srtp-mand",
                                                                        answerMode: .manual), microphone: tone)
        defer { Task { await bob.stop() } }
        try await bob.waitUntilRegistered()
        #expect(await Self.waitRegistered(alice))

        var mark = alice.events.types.count
        _ = try await alice.control.result("call.dial", ["uri": "bob"])
        let progress = try await alice.events.wait(for: "callProgress", after: mark)
        #expect(progress?["status"] as? Int == 180, "\(String(describing: progress))")
        #expect(CallJSON.object(try await alice.status(), "call")?["state"] as? String == "ringing")
        _ = try await alice.control.result("call.hangup")
        try await bob.waitFor(event: "CALL_CLOSED")
        #expect(kamailio.messages().contains { $0.direction == .received && $0.method == "CANCEL" }, "no CANCEL")
        #expect(try await alice.events.wait(for: "callEnded", after: mark)?["reason"] as? String == "hangup")

        mark = alice.events.types.count
        let bobMark = bob.eventMark
        _ = try await alice.control.result("call.dial", ["uri": "bob"])
        try await bob.waitFor(event: "CALL_INCOMING", after: bobMark)
        try await bob.hangup()
        let refused = try await alice.events.wait(for: "callEnded", after: mark)
        #expect(["busy", "failed", "unanswered"].contains(refused?["reason"] as? String ?? ""), "\(String(describing: refused))")
        #expect((refused?["status"] as? Int).map { $0 >= 400 } == true, "\(String(describing: refused))")

        mark = alice.events.types.count
        _ = try await alice.control.result("call.dial", ["uri": "carol"])
        let unknown = try await alice.events.wait(for: "callEnded", after: mark)
        #expect(unknown?["status"] as? Int == 404 && unknown?["reason"] as? String == "failed", "\(String(describing: unknown))")
        #expect(try await alice.status()["call"] is NSNull)
    }

    @Test("SIGTERM during a call: BYE, then REGISTER with expiry 0, and the daemon exits within 2 s")
    func sigtermEndsTheCallAndUnregisters() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let alice = try await Self.startAlice(kamailio, transport: .udp)
        let tone = try ToneFile.make(seconds: 10)
        let bob = try await Baresip(name: "bob", account: .registered("bob", with: kamailio, mediaEncryption: "srtp-mand",
                                                                        answerMode: .auto), microphone: tone)
        defer { Task { await bob.stop() } }
        try await bob.waitUntilRegistered()
        #expect(await Self.waitRegistered(alice))
        _ = try await alice.control.result("call.dial", ["uri": kamailio.aor("bob")])
        try await bob.waitFor(event: "CALL_ESTABLISHED")
        #expect(try await alice.events.wait(for: "callStarted") != nil)

        let (status, _, seconds) = alice.daemon.stop(signal: SIGTERM, timeout: 5)
        alice.events.stop()
        #expect(status == 0)
        #expect(seconds < 2, "exit took \(seconds) s")
        try await bob.waitFor(event: "CALL_CLOSED")
        let messages = kamailio.messages().filter { $0.direction == .received }
        let bye = messages.firstIndex { $0.method == "BYE" && ($0.header("From") ?? "").contains("alice") }
        let unregister = messages.lastIndex { $0.method == "REGISTER" && (($0.header("Expires") == "0") || ($0.header("Contact") ?? "").contains("expires=0")) }
        #expect(bye != nil, "no BYE from alice")
        #expect(unregister != nil, "no REGISTER with expiry 0")
        if let bye, let unregister { #expect(bye < unregister, "the BYE must go before the unREGISTER") }
        #expect(try await !kamailio.isRegistered("alice"))
        print("SIGTERM during a call → BYE, unREGISTER, exit: \(String(format: "%.0f", seconds * 1000)) ms")
    }
}

/// softphoned and other SIP phones calling each other directly (no registrar), with Opus and
/// SRTP, each checking what it hears: baresip (libre) and linphonec (belle-sip, mediastreamer).
@Suite("SIP with other phones: Opus and SRTP both ways", .serialized, .timeLimit(.minutes(2)))
struct SIPPhonesInteropTests {
    /// softphoned with a 1 kHz tone, on a fixed loopback UDP port, answering every call.
    static func startPhone() async throws -> (CallPeer, UInt16) {
        let (peer, address) = try await SIPCallTests.startPhone()
        return (peer, address.port)
    }

    /// The level and frequency the far end's decoder played, from softphoned's own figures
    /// (`stats.outputLevelDBFS`), after media flowed a while.
    static func hears(_ peer: CallPeer) async throws -> Double? {
        CallJSON.number(try await peer.stats(), "outputLevelDBFS")
    }

    @Test("baresip calls softphoned with Opus and SRTP: both hear the other's tone; softphoned calls baresip back")
    func baresipBothWays() async throws {
        let (peer, port) = try await Self.startPhone()
        defer { peer.stop() }
        let tone = try ToneFile.make(seconds: 20)
        let bob = try await Baresip(name: "bob", account: .unregistered("bob", mediaEncryption: "srtp-mand", answerMode: .auto,
                                                                          audioCodecs: ["opus/48000/1"]), microphone: tone)
        defer { Task { await bob.stop() } }
        try await bob.dial("sip:agent@127.0.0.1:\(port)")
        try await bob.waitFor(event: "CALL_ESTABLISHED")
        #expect(try await peer.events.wait(for: "callStarted") != nil)
        #expect(CallJSON.object(try await peer.status(), "call")?["codec"] as? String == "opus")
        try await Task.sleep(for: .seconds(2))
        let level = try await Self.hears(peer)
        #expect((level ?? -120) > -30, "softphoned does not hear baresip's tone: \(String(describing: level))")
        try await bob.hangup()
        try await bob.waitFor(event: "CALL_CLOSED")
        let file = try #require(bob.receivedAudioFile)
        let report = ToneReport(samples: Array(try WAVFile(path: file.path).samples.suffix(AudioFormat.sampleRate)))
        #expect(report.isTone(1_000), "baresip did not hear softphoned's tone: \(report)")

        // And the other way: softphoned dials baresip, which answers by itself.
        let mark = bob.eventMark
        let ended = peer.events.types.count
        _ = try await peer.control.result("call.dial", ["uri": bob.directURI()])
        try await bob.waitFor(event: "CALL_ESTABLISHED", after: mark)
        #expect(try await peer.events.wait(for: "callStarted", after: ended) != nil)
        _ = try await peer.control.result("call.hangup")
        try await bob.waitFor(event: "CALL_CLOSED", after: mark)
    }

    /// linphonec with SRTP, playing the 1 kHz tone and recording what it hears, has called
    /// softphoned at `port` and softphoned has started the call.
    static func linphonecCalls(_ peer: CallPeer, at port: UInt16, name: String,
                               autoAnswer: Bool = false) async throws -> (Linphonec, recording: URL, mark: Int) {
        let tone = try ToneFile.make(seconds: 40)
        let phone = try await Linphonec(name: name, autoAnswer: autoAnswer, srtpMandatory: true)
        try phone.play(tone)
        let recording = tone.deletingLastPathComponent().appendingPathComponent("\(name)-heard.wav")
        try phone.record(recording)
        let mark = phone.outputMark
        try await phone.call("sip:agent@127.0.0.1:\(port)")
        try await phone.waitFor("connected", after: mark)
        #expect(try await peer.events.wait(for: "callStarted") != nil, "\(peer.daemon.log)")
        return (phone, recording, mark)
    }

    @Test("linphonec holds and resumes a call while softphoned is muted: its recording of softphoned holds the tone before the mute and after the unmute, and nothing between")
    func linphonecHoldsWhileMuted() async throws {
        let (peer, port) = try await Self.startPhone()
        defer { peer.stop() }
        let (dave, recording, mark) = try await Self.linphonecCalls(peer, at: port, name: "dave")
        defer { Task { await dave.stop() } }
        let events = peer.events.types.count
        try await Task.sleep(for: .seconds(1.5))
        #expect(try await peer.control.result("mute")["muted"] as? Bool == true)
        try await Task.sleep(for: .seconds(1))
        // linphonec's hold (a sendonly re-INVITE), then its resume, while softphoned is muted.
        try dave.pause()
        try await dave.waitFor("is now paused", after: mark)
        try await Task.sleep(for: .seconds(1))
        let resuming = dave.outputMark
        try dave.resume()
        try await dave.waitFor("Media streams established", after: resuming)
        try await Task.sleep(for: .seconds(1.5))
        #expect(try await peer.status()["muted"] as? Bool == true, "the far end's hold and resume changed the mute state")
        _ = try await peer.control.result("unmute")
        try await Task.sleep(for: .seconds(1.5))
        try dave.terminate()
        #expect(try await peer.events.wait(for: "callEnded", after: events) != nil)
        try await Task.sleep(for: .milliseconds(300))

        // The recording as 20 ms blocks, loud or quiet: one run of tone before the mute, one after the unmute.
        let samples = try WAVFile(path: recording.path).samples
        let block = AudioFormat.sampleRate / 50
        let loud = stride(from: 0, to: samples.count - block, by: block).map {
            AudioAnalysis.rmsDBFS(Array(samples[$0..<($0 + block)])) > ToneReport.quietThresholdDBFS
        }
        // A run survives a few quiet blocks (a lost packet concealed): gaps under 100 ms join.
        var runs: [(start: Int, length: Int)] = []
        for (index, isLoud) in loud.enumerated() where isLoud {
            if let last = runs.last, index - (last.start + last.length) < 5 {
                runs[runs.count - 1].length = index + 1 - last.start
            } else {
                runs.append((index, 1))
            }
        }
        print("linphonec's recording: \(loud.count) blocks of 20 ms, tone runs (start, blocks): \(runs)")
        #expect(runs.count == 2, "the tone should be heard exactly twice, before the mute and after the unmute: \(runs)")
        if runs.count == 2 {
            // Muted while media flowed for 2.5 s (1 s before the hold, 1.5 s after it; linphonec's
            // recorder stops during its hold): that much silence, less a little at the resume.
            #expect(runs[1].start - (runs[0].start + runs[0].length) >= 110, "the silence between is too short: \(runs)")
            #expect(runs.allSatisfy { $0.length >= 50 }, "\(runs)")
        }
    }

    @Test("linphonec calls softphoned with SRTP: linphonec records softphoned's tone, softphoned hears linphonec's; softphoned calls linphonec back, is heard, and its RFC 4733 digits arrive")
    func linphonecBothWays() async throws {
        let (peer, port) = try await Self.startPhone()
        defer { peer.stop() }
        let (carol, recording, _) = try await Self.linphonecCalls(peer, at: port, name: "carol", autoAnswer: true)
        defer { Task { await carol.stop() } }
        try await Task.sleep(for: .seconds(3))
        let level = try await Self.hears(peer)
        #expect((level ?? -120) > -30, "softphoned does not hear linphonec's tone: \(String(describing: level))")
        let codec = CallJSON.object(try await peer.status(), "call")?["codec"] as? String
        print("linphonec ⇄ softphoned: codec \(codec ?? "?"), softphoned hears \(level ?? -120) dBFS")
        try carol.terminate()
        #expect(try await peer.events.wait(for: "callEnded")?["reason"] as? String == "bye")
        try await Task.sleep(for: .milliseconds(300))
        let report = ToneReport(samples: Array(try WAVFile(path: recording.path).samples.suffix(AudioFormat.sampleRate)))
        #expect(report.isTone(1_000), "linphonec did not hear softphoned's tone (codec \(codec ?? "?")): \(report)")

        // And the other way: softphoned dials linphonec, which answers by itself.
        let back = carol.outputMark
        let events = peer.events.types.count
        let dialled = try await peer.control.result("call.dial", ["uri": "sip:carol@127.0.0.1:\(carol.sipPort)"])
        #expect(dialled["state"] as? String == "calling", "\(dialled)")
        try await carol.waitFor("connected", after: back)
        #expect(try await peer.events.wait(for: "callStarted", after: events) != nil, "\(peer.daemon.log)")
        let call = CallJSON.object(try await peer.status(), "call")
        #expect(CallJSON.object(call ?? [:], "sip")?["direction"] as? String == "outgoing", "\(String(describing: call))")
        try await Task.sleep(for: .seconds(3))
        let levelBack = try await Self.hears(peer)
        #expect((levelBack ?? -120) > -30, "softphoned does not hear linphonec on its own call: \(String(describing: levelBack))")
        _ = try await peer.control.result("call.dtmf", ["digits": "7"])
        try await carol.waitFor("Receiving tone 7", after: back)
        _ = try await peer.control.result("call.hangup")
        try await carol.waitFor("ended", after: back)
        print("softphoned → linphonec: codec \(call?["codec"] as? String ?? "?"), softphoned hears \(levelBack ?? -120) dBFS")
    }
}
