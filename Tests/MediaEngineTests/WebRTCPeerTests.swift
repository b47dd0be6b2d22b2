import Foundation
import MediaTestSupport
import Testing

/// The WebRTC far ends the daemon's WebRTC tests use, proven against each other first: GStreamer's
/// webrtcbin and headless Chromium, two independent stacks (libnice + OpenSSL, libwebrtc +
/// BoringSSL). If each hears the other's tone, the peers' signalling, ICE, DTLS-SRTP and audio
/// analysis work, so a failure against softphoned points at softphoned.
///
/// Loopback only: every peer gathers on 127.0.0.1. Serialized, since Chromium and webrtcbin
/// both want a core each on a 2-core machine.
@Suite("WebRTC far ends: webrtcbin and Chromium", .serialized, .timeLimit(.minutes(2)))
struct WebRTCPeerTests {
    static let loopback = ["127.0.0.1"]

    struct Pairing: Sendable, CustomTestStringConvertible {
        let offerer: WebRTCPeer.Kind
        let answerer: WebRTCPeer.Kind
        var testDescription: String { "\(offerer) offers, \(answerer) answers" }
    }

    static let pairings = [Pairing(offerer: .webrtcbin, answerer: .chromium), Pairing(offerer: .chromium, answerer: .webrtcbin)]

    /// Runs one call: `offer` tone one way, `answer` tone the other, for `seconds`.
    static func call(_ pairing: Pairing, offerTone: Double = 440, answerTone: Double = 660, seconds: Double = 2,
                     configure: (inout WebRTCPeer.Options) -> Void = { _ in },
                     tamper: (String) -> String = { $0 }) throws -> (offer: WebRTCPeerReport, answer: WebRTCPeerReport) {
        var offerOptions = WebRTCPeer.Options(toneHertz: offerTone, duration: seconds, localAddresses: loopback)
        var answerOptions = WebRTCPeer.Options(toneHertz: answerTone, duration: seconds, localAddresses: loopback)
        configure(&offerOptions)
        configure(&answerOptions)
        let offerer = try WebRTCPeer(pairing.offerer, role: .offer, options: offerOptions)
        let answerer = try WebRTCPeer(pairing.answerer, role: .answer, options: answerOptions)
        try answerer.sendRemoteDescription(tamper(try offerer.localDescription()))
        try offerer.sendRemoteDescription(try answerer.localDescription())
        let timeout = seconds + offerOptions.connectTimeout + 15
        return (try offerer.finish(timeout: timeout), try answerer.finish(timeout: timeout))
    }

    @Test("each peer hears the other's tone", arguments: pairings)
    func tones(pairing: Pairing) throws {
        let (offer, answer) = try Self.call(pairing)
        #expect(offer.connected && answer.connected, "\(offer)\n\(answer)")
        #expect(offer.hears(660), "\(offer)")
        #expect(answer.hears(440), "\(answer)")
        // 2 s of 20 ms frames is 100 packets; a loaded machine starts Chromium's sender late.
        #expect(offer.packetsReceived >= 50, "\(offer)")
        #expect(answer.packetsReceived >= 50, "\(answer)")
        // RFC 5763: the answerer that answers actpass with active is the DTLS client.
        #expect(offer.dtlsRole == "server" && answer.dtlsRole == "client", "\(offer)\n\(answer)")
        #expect(offer.srtpProfile == answer.srtpProfile && offer.srtpProfile?.hasPrefix("SRTP_") == true,
                "\(offer)\n\(answer)")
        #expect(offer.selectedPair?.local?.type == "host" && answer.selectedPair?.local?.type == "host")
    }

    @Test("Chromium answering with a=setup:passive is the DTLS server")
    func chromeAsDTLSServer() throws {
        let (offer, answer) = try Self.call(Pairing(offerer: .webrtcbin, answerer: .chromium), seconds: 1) { options in
            if options.toneHertz == 660 { options.dtlsSetup = "passive" }
        }
        #expect(answer.dtlsRole == "server" && offer.dtlsRole == "client", "\(offer)\n\(answer)")
        #expect(offer.hears(660) && answer.hears(440), "\(offer)\n\(answer)")
    }

    /// The negative control: the same call with one byte of the offer's certificate
    /// fingerprint changed must not carry a single packet of audio, so the peers really check
    /// DTLS certificates and the tone checks above cannot pass vacuously.
    @Test("a wrong fingerprint in the offer: no connection, no audio")
    func wrongFingerprint() throws {
        let (offer, answer) = try Self.call(Pairing(offerer: .webrtcbin, answerer: .chromium), seconds: 1,
                                            configure: { $0.connectTimeout = 4 }, tamper: Self.corruptFingerprint)
        #expect(!answer.connected, "\(answer)")
        #expect(answer.packetsReceived == 0 && answer.dominantHz == nil, "\(answer)")
        #expect(offer.dominantHz == nil, "\(offer)")
    }

    /// What the daemon's mute tests read: digital silence sent arrives as windows of exactly
    /// 0 (Chromium decodes webrtcbin's zeros), and a peer that sends nothing gives no packets.
    @Test("silence is zeros, sending nothing is no packets")
    func silenceAndNothing() throws {
        let (offer, answer) = try Self.call(Pairing(offerer: .webrtcbin, answerer: .chromium), offerTone: 0,
                                            seconds: 1.5) { options in
            if options.toneHertz == 660 { options.duration = 0; options.listenSeconds = 1.5 }
        }
        #expect(answer.packetsReceived >= 50 && answer.dominantHz == nil, "\(answer)")
        #expect(answer.rms.count >= 25 && answer.zeroWindows == answer.rms.count && answer.peak == 0, "\(answer)")
        #expect(offer.connected && offer.packetsReceived == 0, "\(offer)")
    }

    /// RFC 8445 relay-only: with both peers' ICE transport policy `relay`, the only candidates
    /// are coturn's, and media still flows.
    @Test("through coturn with both peers forced to relay", arguments: [pairings[0]])
    func relayed(pairing: Pairing) throws {
        let relay = try TURNRelay()
        defer { relay.stop() }
        let (offer, answer) = try Self.call(pairing) { options in
            options.turn = relay.url
            options.forceRelay = true
        }
        #expect(offer.hears(660) && answer.hears(440), "\(offer)\n\(answer)")
        for report in [offer, answer] {
            #expect(report.selectedPair?.local?.type == "relay", "\(report)")
            #expect(report.localCandidates.allSatisfy { $0.contains(" typ relay") }, "\(report.localCandidates)")
        }
        // One allocation per peer at least (Chromium allocates once per local network).
        #expect(relay.allocations >= 2, "coturn granted \(relay.allocations) allocations:\n\(relay.log().suffix(2000))")
    }

    static func corruptFingerprint(_ sdp: String) -> String {
        sdp.split(separator: "\r\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("a=fingerprint:"), let last = line.last else { return String(line) }
            return String(line.dropLast()) + (last == "0" ? "1" : "0")
        }.joined(separator: "\r\n")
    }
}
