import DaemonTestSupport
import Foundation
import MediaCore
import MediaTestSupport
import SIPTestPeers
import Testing

/// The SIP test peers themselves: kamailio as registrar and proxy, baresip as far ends.
/// Serialized: each test runs a registrar and two user agents with media on a 2-core machine.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SIPPeersTests {
    static let users = ["alice": "alice-secret", "bob": "bob-secret"]
    static let opus = ["opus/48000/1"]

    /// A 1 kHz tone at −12 dBFS peak (48 kHz mono), long enough for any call here.
    static func toneFile(seconds: Double = 10) throws -> URL { try ToneFile.make(seconds: seconds) }

    @Test("two baresips register with kamailio over UDP, with a 401 challenge (qop=auth)")
    func registerOverUDP() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let tone = try Self.toneFile(seconds: 1)
        defer { try? FileManager.default.removeItem(at: tone.deletingLastPathComponent()) }
        let alice = try await Baresip(name: "alice", account: .registered("alice", with: kamailio), microphone: tone)
        let bob = try await Baresip(name: "bob", account: .registered("bob", with: kamailio), microphone: tone)
        try await alice.waitUntilRegistered()
        try await bob.waitUntilRegistered()
        try await kamailio.waitUntilRegistered(["alice", "bob"])
        let bindings = try await kamailio.registrations()
        #expect(bindings["alice"]?.first?.contains("127.0.0.1:\(alice.sipPort)") == true, "\(bindings)")
        #expect(try await !kamailio.isRegistered("carol"))

        let messages = kamailio.messages()
        let challenges = messages.filter { $0.direction == .sent && $0.statusCode == 401 && $0.cseqMethod == "REGISTER" }
        #expect(challenges.count >= 2)
        #expect(challenges.first?.header("WWW-Authenticate")?.contains("qop=\"auth\"") == true,
                "\(challenges.first?.text ?? "no 401")")
        let authorized = messages.filter { $0.method == "REGISTER" && $0.header("Authorization") != nil }
        #expect(authorized.contains { $0.header("Authorization")!.contains("qop=auth") && $0.transport == "udp" })
        print("kamailio ready in \(kamailio.startupSeconds) s; baresip control up in \(alice.startupSeconds) s, \(bob.startupSeconds) s")
    }

    @Test("kamailio's TLS certificate verifies against the CA it made, as 127.0.0.1 and as localhost")
    func certificateVerifies() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let byIP = try await kamailio.certificates.verifyServer(port: kamailio.tlsPort, name: "127.0.0.1")
        #expect(byIP.verified, "\(byIP.output)")
        let byName = try await kamailio.certificates.verifyServer(port: kamailio.tlsPort, name: "localhost")
        #expect(byName.verified, "\(byName.output)")
        let wrongName = try await kamailio.certificates.verifyServer(port: kamailio.tlsPort, name: "elsewhere.example")
        #expect(!wrongName.verified, "\(wrongName.output)")
    }

    @Test("a call through kamailio with SRTP and Opus: established, DTMF, hold/resume, hang-up, the tone arrives",
          arguments: [SIPTransport.udp, .tcp, .tls])
    func callThroughKamailio(transport: SIPTransport) async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let tone = try Self.toneFile()
        defer { try? FileManager.default.removeItem(at: tone.deletingLastPathComponent()) }
        let alice = try await Baresip(
            name: "alice", account: .registered("alice", with: kamailio, transport: transport, mediaEncryption: "srtp-mand",
                                                audioCodecs: Self.opus),
            microphone: tone, caFile: kamailio.caFile)
        let bob = try await Baresip(
            name: "bob", account: .registered("bob", with: kamailio, transport: transport, mediaEncryption: "srtp-mand",
                                              audioCodecs: Self.opus),
            microphone: tone, caFile: kamailio.caFile)
        try await alice.waitUntilRegistered()
        try await bob.waitUntilRegistered()
        if transport == .tls {
            let check = try await kamailio.certificates.verifyServer(port: kamailio.tlsPort)
            #expect(check.verified, "\(check.output)")
        }

        let dialed = Date()
        try await alice.dial(kamailio.aor("bob"))
        let incoming = try await bob.waitFor(event: "CALL_INCOMING")
        #expect(incoming.peerURI?.contains("alice@127.0.0.1") == true, "\(incoming)")
        try await bob.accept()
        try await alice.waitFor(event: "CALL_ESTABLISHED")
        try await bob.waitFor(event: "CALL_ESTABLISHED")
        print("\(transport): dial → established in \(Date().timeIntervalSince(dialed)) s")
        let srtp = try await bob.waitFor(event: "CALL_MENC")
        #expect(srtp.param?.contains("AES_CM_128_HMAC_SHA1_80") == true, "\(srtp)")

        // The INVITE as kamailio relayed it: SAVP with crypto, Opus only, challenged first with 407.
        let messages = kamailio.messages()
        #expect(messages.contains { $0.direction == .sent && $0.statusCode == 407 && $0.cseqMethod == "INVITE" })
        let invite = try #require(messages.last { $0.direction == .sent && $0.method == "INVITE" })
        #expect(invite.transport == transport.rawValue)
        #expect(invite.body.contains("RTP/SAVP") && invite.body.contains("a=crypto:"), "\(invite.text)")
        #expect(invite.body.contains("opus/48000/2") && !invite.body.contains("PCMU"), "\(invite.text)")
        #expect(invite.header("Record-Route") != nil)

        // Two seconds of tone, then a digit from bob to alice (RFC 4733).
        try await Task.sleep(for: .seconds(2))
        let beforeDigit = alice.eventMark
        try await bob.sendDigit("5")
        let digit = try await alice.waitFor(event: "CALL_DTMF_START", after: beforeDigit)
        #expect(digit.param == "5")

        // Hold and resume: re-INVITEs through the proxy (bob's received dump stops here).
        let beforeHold = kamailio.messages().count
        try await alice.hold()
        let held = try await eventually(timeout: .seconds(5)) { kamailio.messages().dropFirst(beforeHold).contains { $0.method == "INVITE" && $0.body.contains("a=sendonly") } }
        #expect(held, "no re-INVITE with a=sendonly")
        try await alice.resume()
        let resumed = try await eventually(timeout: .seconds(5)) { kamailio.messages().dropFirst(beforeHold).contains { $0.method == "INVITE" && $0.body.contains("a=sendrecv") } }
        #expect(resumed, "no re-INVITE with a=sendrecv")

        try await alice.hangup()
        try await alice.waitFor(event: "CALL_CLOSED")
        try await bob.waitFor(event: "CALL_CLOSED")
        #expect(kamailio.messages().contains { $0.direction == .sent && $0.method == "BYE" })

        let file = try #require(bob.receivedAudioFile, "no received-audio dump in \(bob.directory.path)")
        let wav = try WAVFile(path: file.path)
        let report = ToneReport(samples: wav.samples)
        #expect(wav.originalSampleRate == 48_000)
        #expect(report.isTone(1_000), "\(report)")
        #expect(report.activeSeconds() > 1.5, "\(report)")
        print("\(transport): bob heard \(report)")
    }

    @Test("after kamailio restarts on the same ports, both baresips register again and can call")
    func reRegistrationAfterRestart() async throws {
        let kamailio = try await Kamailio(users: Self.users)
        let tone = try Self.toneFile(seconds: 3)
        defer { try? FileManager.default.removeItem(at: tone.deletingLastPathComponent()) }
        let alice = try await Baresip(name: "alice", account: .registered("alice", with: kamailio, transport: .udp),
                                      microphone: tone)
        let bob = try await Baresip(name: "bob", account: .registered("bob", with: kamailio, transport: .tls,
                                                                      answerMode: .auto),
                                    microphone: tone, caFile: kamailio.caFile)
        try await kamailio.waitUntilRegistered(["alice", "bob"])
        let ports = (kamailio.udpPort, kamailio.tcpPort, kamailio.tlsPort)

        let marks = (alice.eventMark, bob.eventMark)
        try await kamailio.restart()
        #expect((kamailio.udpPort, kamailio.tcpPort, kamailio.tlsPort) == ports)
        #expect(try await kamailio.registrations().isEmpty, "bindings survived the restart")
        let restarted = Date()
        try await kamailio.waitUntilRegistered(["alice", "bob"], timeout: 15)
        try await alice.waitFor(event: "REGISTER_OK", after: marks.0)
        try await bob.waitFor(event: "REGISTER_OK", after: marks.1)
        print("re-registered \(Date().timeIntervalSince(restarted)) s after the restart; starts: \(kamailio.startupSeconds)")

        try await alice.dial(kamailio.aor("bob"))
        try await alice.waitFor(event: "CALL_ESTABLISHED")
        try await bob.waitFor(event: "CALL_ESTABLISHED")
        try await alice.hangup()
        try await bob.waitFor(event: "CALL_CLOSED")
    }

    @Test("a direct call without registration: baresip answers automatically on its own port")
    func directCall() async throws {
        let tone = try Self.toneFile(seconds: 4)
        defer { try? FileManager.default.removeItem(at: tone.deletingLastPathComponent()) }
        let callee = try await Baresip(name: "callee", account: .unregistered("callee", answerMode: .auto), microphone: tone)
        let caller = try await Baresip(name: "caller", account: .unregistered("caller"), microphone: tone)
        try await caller.dial(callee.directURI())
        try await caller.waitFor(event: "CALL_ESTABLISHED")
        try await callee.waitFor(event: "CALL_ESTABLISHED")
        try await Task.sleep(for: .seconds(1.5))
        try await caller.hangup()
        try await callee.waitFor(event: "CALL_CLOSED")
        let file = try #require(callee.receivedAudioFile)
        let report = ToneReport(samples: try WAVFile(path: file.path).samples)
        #expect(report.isTone(1_000), "\(report)")
    }
}
