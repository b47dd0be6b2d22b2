import DaemonTestSupport
import Foundation
import MediaCore
import MediaTestSupport
import SIPTestPeers
import Testing

/// linphonec as a far end: another SIP stack (belle-sip) that verifies TLS certificates.
/// In the serialized SIPPeersTests suite, so no two tests' peers share the two cores.
extension SIPPeersTests {
    @Test("linphonec registers over TLS verifying kamailio's CA, calls baresip with SRTP, hears DTMF; a foreign CA is refused")
    func linphonecOverTLS() async throws {
        let kamailio = try await Kamailio(users: SIPPeersTests.users)
        let tone = try SIPPeersTests.toneFile(seconds: 8)
        defer { try? FileManager.default.removeItem(at: tone.deletingLastPathComponent()) }

        let alice = try await Linphonec(name: "alice", srtpMandatory: true, caFile: kamailio.caFile)
        print("linphonec bound its SIP port in \(alice.startupSeconds) s")
        try alice.register(user: "alice", proxy: kamailio.uri(.tls), password: SIPPeersTests.users["alice"]!)
        try await alice.waitUntilRegistered()
        #expect(try await kamailio.isRegistered("alice"))

        let bob = try await Baresip(name: "bob", account: .registered("bob", with: kamailio, mediaEncryption: "srtp-mand",
                                                                      answerMode: .auto),
                                    microphone: tone)
        try await bob.waitUntilRegistered()

        try alice.play(tone)
        let mark = alice.outputMark
        try alice.call(kamailio.aor("bob"))
        try await alice.waitFor("connected", after: mark)
        try await bob.waitFor(event: "CALL_ESTABLISHED")
        let menc = try await bob.waitFor(event: "CALL_MENC")
        #expect(menc.param?.contains("AES_CM_128_HMAC_SHA1_80") == true, "\(menc)")
        try await Task.sleep(for: .seconds(2))
        try await bob.sendDigit("7")
        try await alice.waitFor("Receiving tone 7", after: mark)
        try alice.terminate()
        try await bob.waitFor(event: "CALL_CLOSED")

        let file = try #require(bob.receivedAudioFile)
        let report = ToneReport(samples: try WAVFile(path: file.path).samples)
        #expect(report.isTone(1_000), "\(report)")
        await alice.stop()

        // A CA that did not sign kamailio's certificate: linphonec must not register.
        let foreign = try TemporaryDirectory.make(prefix: "sip-foreign-ca")
        defer { try? FileManager.default.removeItem(at: foreign) }
        let other = try await TestCertificateAuthority.make(in: foreign)
        let carol = try await Linphonec(name: "carol", caFile: other.caFile)
        try carol.register(user: "alice", proxy: kamailio.uri(.tls), password: SIPPeersTests.users["alice"]!)
        await #expect(throws: SIPPeerError.self) { try await carol.waitUntilRegistered(timeout: 3) }
        await carol.stop()
    }
}
