import Foundation
import MediaCore
import Testing

@Suite struct WebRTCNegotiatorTests {
    static let local = LocalMediaParameters(address: "192.0.2.1", port: 30000, sessionID: 42, sessionVersion: 1)
    static let ourFingerprint = CertificateFingerprint(hashFunction: "sha-256", digest: (0..<32).map { UInt8($0 * 7 & 0xFF) })
    static let webrtc = WebRTCLocalParameters(
        iceUfrag: "sfph", icePassword: "abcdefghijklmnopqrstuv", fingerprint: ourFingerprint,
        candidates: ["a=candidate:1 1 UDP 2013266431 192.0.2.1 30000 typ host",
                     "candidate:2 1 TCP 1019216383 192.0.2.1 9 typ host tcptype active"],
        defaultAddress: "192.0.2.1", defaultPort: 30000, ssrc: 0xDEAD_BEEF, cname: "softphoned-cname",
        streamID: "agent", trackID: "mic")

    /// The error `inspectOffer` throws for `offer`, or nil when it accepts it.
    func inspectError(_ offer: String, established: WebRTCNegotiation? = nil) -> String? {
        do {
            _ = try WebRTCNegotiator.inspectOffer(offer, local: Self.local, established: established)
            return nil
        } catch {
            return error.description
        }
    }

    func completeError(_ answer: String, established: WebRTCNegotiation? = nil) -> String? {
        do {
            _ = try WebRTCNegotiator.complete(offer: Self.local, withAnswer: answer, established: established)
            return nil
        } catch {
            return error.description
        }
    }

    /// Inspects and answers `offer`, returning both and the parsed answer.
    func answer(_ offer: String, local: LocalMediaParameters = Self.local,
                webrtc: WebRTCLocalParameters = Self.webrtc) throws -> (WebRTCNegotiation, SessionDescription) {
        let negotiation = try WebRTCNegotiator.inspectOffer(offer, local: local)
        let text = WebRTCNegotiator.answer(negotiation, offer: offer, local: local, webrtc: webrtc)
        return (negotiation, try SDPParser.parse(text))
    }

    /// The rtpmaps and fmtps of softphoned's default offer.
    static let offerRTPMaps = ["111 opus/48000/2", "0 PCMU/8000", "8 PCMA/8000", "9 G722/8000",
                               "110 telephone-event/48000", "101 telephone-event/8000"]
    static let offerFMTPs = ["111 minptime=10;useinbandfec=1", "110 0-16", "101 0-16"]

    /// What every audio m-line softphoned writes must carry (WEBRTC.md §1.6), and nothing it
    /// does not implement. `rtpmaps` defaults to Opus alone at `payloadType`; the formats
    /// are the rtpmaps' payload types, in order.
    func expectWebRTCAudio(_ audio: MediaDescription, payloadType: String, setup: DTLSSetup, mid: String,
                           rtpmaps: [String]? = nil, fmtps: [String]? = nil) {
        let rtpmaps = rtpmaps ?? ["\(payloadType) opus/48000/2"]
        let fmtps = fmtps ?? ["\(payloadType) minptime=10;useinbandfec=1"]
        #expect(audio.port == 30000)
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.formats == rtpmaps.map { String($0.prefix { $0 != " " }) })
        #expect(audio.formats.first == payloadType)
        #expect(audio.connection == .init(addressType: "IP4", address: "192.0.2.1"))
        #expect(audio.values(of: "rtcp") == ["30000 IN IP4 192.0.2.1"])
        #expect(audio.values(of: "ice-ufrag") == ["sfph"])
        #expect(audio.values(of: "ice-pwd") == ["abcdefghijklmnopqrstuv"])
        #expect(audio.values(of: "fingerprint") == ["sha-256 " + Self.ourFingerprint.value])
        #expect(audio.values(of: "setup") == [setup.rawValue])
        #expect(audio.values(of: "mid") == [mid])
        #expect(audio.values(of: "msid") == ["agent mic"])
        #expect(audio.has("rtcp-mux"))
        #expect(audio.values(of: "rtpmap") == rtpmaps)
        #expect(audio.values(of: "fmtp") == fmtps)
        #expect(audio.values(of: "ssrc") == ["3735928559 cname:softphoned-cname"])
        #expect(audio.values(of: "candidate") == ["1 1 UDP 2013266431 192.0.2.1 30000 typ host",
                                                   "2 1 TCP 1019216383 192.0.2.1 9 typ host tcptype active"])
        #expect(audio.has("end-of-candidates"))
        for unimplemented in ["extmap", "rtcp-fb", "rtcp-rsize", "crypto", "ice-lite", "ice-options"] {
            #expect(!audio.has(unimplemented), "the audio m-line has a=\(unimplemented)")
        }
    }

    // MARK: Recognising WebRTC

    @Test func recognisesWebRTCOffersByFingerprintAndICECredentials() {
        #expect(WebRTCNegotiator.isWebRTC(WebRTCCorpus.chromeOffer))
        #expect(WebRTCNegotiator.isWebRTC(WebRTCCorpus.aiortcOffer))
        #expect(WebRTCNegotiator.isWebRTC(WebRTCCorpus.janusOffer))  // fingerprint at session level
        #expect(WebRTCNegotiator.isWebRTC(WebRTCNegotiator.makeOffer(local: Self.local, webrtc: Self.webrtc)))
        // SDES-era browser offer: ICE and fingerprint lines, but RTP/SAVPF with a=crypto.
        #expect(!WebRTCNegotiator.isWebRTC(SDPCorpus.browser))
        #expect(!WebRTCNegotiator.isWebRTC(SDPCorpus.gstreamer))
        #expect(!WebRTCNegotiator.isWebRTC(WebRTCCorpus.minimal(ufrag: "")))
        #expect(!WebRTCNegotiator.isWebRTC(WebRTCCorpus.minimal(fingerprint: "")))
        #expect(!WebRTCNegotiator.isWebRTC("hello"))
    }

    // MARK: Answering real-looking offers

    @Test func answersChromeOffer() throws {
        let (negotiation, answer) = try answer(WebRTCCorpus.chromeOffer)
        #expect(negotiation.role == .client)
        #expect(!negotiation.iceControlling)
        #expect(!negotiation.iceRestart)
        #expect(negotiation.mid == "0")
        #expect(negotiation.audioIndex == 0)
        #expect(negotiation.media.payloadType == 111)
        #expect(negotiation.media.direction == .sendrecv)
        #expect(negotiation.media.remoteWantsFEC)
        #expect(negotiation.media.remoteOrigin?.sessionID == "3837487231925764351")
        let remote = negotiation.remote
        #expect(remote.iceUfrag == "P4G/")
        #expect(remote.icePassword == "Zq3vT8yXk1LmN5bR7cW2hD9e")
        #expect(!remote.iceLite)
        #expect(remote.fingerprints == [.init(hashFunction: "sha-256", value: WebRTCCorpus.chromeFingerprint)])
        #expect(remote.setup == .actpass)
        #expect(!remote.endOfCandidates)
        // The mDNS candidate is skipped; the TCP one is kept.
        #expect(remote.candidates == [
            "a=candidate:1467250027 1 udp 2122260223 127.0.0.1 47651 typ host generation 0 network-id 1",
            "a=candidate:1518280447 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1",
        ])

        #expect(answer.origin?.username == "softphoned")
        #expect(answer.attributes.values(of: "group") == ["BUNDLE 0"])
        #expect(answer.attributes.values(of: "msid-semantic") == ["WMS agent"])
        #expect(!answer.attributes.contains { $0.name == "extmap-allow-mixed" })
        #expect(answer.media.count == 3)
        // Opus and Chrome's telephone-event at Opus's clock (110, not 126 at 8000).
        expectWebRTCAudio(answer.media[0], payloadType: "111", setup: .active, mid: "0",
                          rtpmaps: ["111 opus/48000/2", "110 telephone-event/48000"],
                          fmtps: ["111 minptime=10;useinbandfec=1", "110 0-16"])
        #expect(negotiation.media.telephoneEventPayloadType == 110)
        #expect(answer.media[0].direction == .sendrecv)
        // Video and the data channel are declined with their mid and proto, outside the bundle.
        #expect(answer.media[1].media == "video")
        #expect(answer.media[1].port == 0)
        #expect(answer.media[1].proto == "UDP/TLS/RTP/SAVPF")
        #expect(answer.media[1].values(of: "mid") == ["1"])
        #expect(answer.media[2].media == "application")
        #expect(answer.media[2].port == 0)
        #expect(answer.media[2].proto == "UDP/DTLS/SCTP")
        #expect(answer.media[2].formats == ["webrtc-datachannel"])
        #expect(answer.media[2].values(of: "mid") == ["2"])
        for declined in answer.media.dropFirst() {
            #expect(declined.attributes.map(\.name) == ["mid"])
        }
    }

    @Test func answersAiortcOffer() throws {
        let (negotiation, answer) = try answer(WebRTCCorpus.aiortcOffer)
        #expect(negotiation.media.payloadType == 96)
        #expect(!negotiation.media.remoteWantsFEC)
        #expect(negotiation.role == .client)
        #expect(!negotiation.iceControlling)
        #expect(negotiation.media.remoteOrigin?.address == "0.0.0.0")
        let remote = negotiation.remote
        #expect(remote.iceUfrag == "kT4s")
        #expect(remote.icePassword == "Vb8nM2qW5eR7tY9uI1oP3a")
        #expect(remote.setup == .actpass)
        #expect(remote.fingerprints.map(\.hashFunction) == ["sha-256", "sha-384", "sha-512"])
        #expect(remote.fingerprints.map(\.value) == [WebRTCCorpus.aiortcSHA256, WebRTCCorpus.aiortcSHA384, WebRTCCorpus.aiortcSHA512])
        #expect(remote.candidates.count == 2)
        #expect(remote.candidates[1].hasSuffix("typ srflx raddr 192.0.2.50 rport 51234"))
        #expect(remote.endOfCandidates)
        #expect(answer.attributes.values(of: "group") == ["BUNDLE 0"])
        #expect(answer.media.count == 1)
        expectWebRTCAudio(answer.media[0], payloadType: "96", setup: .active, mid: "0")
    }

    @Test func answersJanusLiteOfferWithSessionLevelFingerprint() throws {
        let (negotiation, answer) = try answer(WebRTCCorpus.janusOffer)
        #expect(negotiation.remote.iceLite)
        #expect(negotiation.iceControlling)  // RFC 8445 §6.1.1: the full agent controls a lite one
        #expect(negotiation.role == .client)
        #expect(negotiation.remote.fingerprints == [.init(hashFunction: "sha-256", value: WebRTCCorpus.janusFingerprint)])
        #expect(negotiation.remote.iceUfrag == "Yr8d")
        #expect(negotiation.remote.candidates == ["a=candidate:1 1 udp 2015363327 10.10.0.2 40117 typ host"])
        #expect(negotiation.media.remotePrefersDTX)
        // Janus sends only: softphoned receives only.
        #expect(negotiation.media.direction == .recvonly)
        expectWebRTCAudio(answer.media[0], payloadType: "111", setup: .active, mid: "0")
        #expect(answer.media[0].direction == .recvonly)
    }

    @Test func mediaLevelAttributesOverrideSessionLevel() throws {
        let offer = WebRTCCorpus.minimal(setup: "a=setup:active")
            .replacingOccurrences(of: "t=0 0\n", with: "t=0 0\na=ice-ufrag:sessionufrag\na=fingerprint:sha-1 00:11\na=setup:passive\n")
        let negotiation = try WebRTCNegotiator.inspectOffer(offer, local: Self.local)
        #expect(negotiation.remote.iceUfrag == "abcd")
        #expect(negotiation.remote.fingerprints.map(\.hashFunction) == ["sha-256"])
        #expect(negotiation.remote.setup == .active)
        #expect(negotiation.role == .server)
    }

    @Test(arguments: [
        ("a=setup:actpass", DTLSRole.client, DTLSSetup.active),
        ("a=setup:passive", .client, .active),
        ("a=setup:active", .server, .passive),
        ("", .server, .passive),  // RFC 4145 §4: an offer without a=setup is active
    ])
    func answererTakesTheComplementaryRole(setup: String, role: DTLSRole, answered: DTLSSetup) throws {
        let (negotiation, answer) = try answer(WebRTCCorpus.minimal(setup: setup))
        #expect(negotiation.role == role)
        #expect(answer.media[0].values(of: "setup") == [answered.rawValue])
    }

    @Test func offerWithoutBundleIsAnsweredWithoutBundle() throws {
        let offer = WebRTCCorpus.minimal().replacingOccurrences(of: "a=group:BUNDLE 0\n", with: "")
        let (_, answer) = try answer(offer)
        #expect(answer.attributes.values(of: "group").isEmpty)
        #expect(answer.media[0].values(of: "mid") == ["0"])
    }

    @Test func offerWithoutCandidatesOrDefaultAddressStillAnswersTheAudio() throws {
        var webrtc = Self.webrtc
        webrtc.defaultAddress = ""
        webrtc.defaultPort = 0
        webrtc.candidates = []
        let offer = WebRTCCorpus.minimal().replacingOccurrences(of: "a=candidate:1 1 udp 2130706431 198.51.100.5 40000 typ host\n", with: "")
        let (negotiation, answer) = try answer(offer, webrtc: webrtc)
        #expect(negotiation.remote.candidates.isEmpty)
        #expect(answer.media[0].port == 9)
        #expect(answer.media[0].connection?.address == "0.0.0.0")
        #expect(answer.media[0].values(of: "candidate").isEmpty)
    }

    // MARK: Refusals

    @Test(arguments: [
        (WebRTCCorpus.minimal(mux: ""),
         "WebRTC requires a=rtcp-mux on the audio m-line: softphoned sends RTP and RTCP on one ICE component"),
        (WebRTCCorpus.minimal(setup: "a=setup:holdconn"),
         "a=setup:holdconn is not supported: softphoned needs a DTLS connection; offer a=setup:actpass"),
        (WebRTCCorpus.minimal(setup: "a=setup:sometimes"),
         "a=setup:sometimes is not one of actpass, active, passive, holdconn"),
        (WebRTCCorpus.minimal(fingerprint: ""),
         "the audio m-line has no a=fingerprint (at media or session level); DTLS-SRTP needs the peer's certificate fingerprint (RFC 8122)"),
        (WebRTCCorpus.minimal(fingerprint: "a=fingerprint:md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"),
         "no a=fingerprint uses a supported hash function (offered: md5; supported: sha-1, sha-224, sha-256, sha-384, sha-512)"),
        (WebRTCCorpus.minimal(fingerprint: "a=fingerprint:sha-256 AB:CD:EF"),
         "a=fingerprint:sha-256 AB:CD:EF is malformed; sha-256 needs 32 hex byte pairs separated by colons"),
        (WebRTCCorpus.minimal(fingerprint: "a=fingerprint:sha-256 " + WebRTCCorpus.chromeFingerprint.replacingOccurrences(of: "CA:", with: "+A:")),
         "a=fingerprint:sha-256 \(WebRTCCorpus.chromeFingerprint.replacingOccurrences(of: "CA:", with: "+A:")) is malformed; sha-256 needs 32 hex byte pairs separated by colons"),
        (WebRTCCorpus.minimal(fingerprint: "a=fingerprint:sha-256"),
         "a=fingerprint:sha-256 is malformed; expected a=fingerprint:<hash function> <hex byte pairs separated by colons>"),
        (WebRTCCorpus.minimal(ufrag: ""),
         "the audio m-line has no a=ice-ufrag (at media or session level); ICE needs the peer's username fragment and password"),
        (WebRTCCorpus.minimal(pwd: ""),
         "the audio m-line has no a=ice-pwd (at media or session level); ICE needs the peer's username fragment and password"),
        (WebRTCCorpus.minimal(ufrag: "a=ice-ufrag:abc"),
         "a=ice-ufrag:abc is not 4 to 256 ICE characters (letters, digits, + and /, RFC 8839 §5.4)"),
        (WebRTCCorpus.minimal(pwd: "a=ice-pwd:has space but is long enough"),
         "a=ice-pwd:has space but is long enough is not 22 to 256 ICE characters (letters, digits, + and /, RFC 8839 §5.4)"),
        (WebRTCCorpus.minimal(proto: "RTP/SAVPF"),
         "the audio m-line uses RTP/SAVPF; a WebRTC description uses UDP/TLS/RTP/SAVPF (DTLS-SRTP over ICE)"),
        (WebRTCCorpus.minimal().replacingOccurrences(of: "opus/48000/2", with: "G729/8000"),
         "no codec in common: the offer has payload types 111 (G729/8000); softphoned speaks opus, PCMU, PCMA, G722 (media.codecs)"),
        (WebRTCCorpus.minimal().replacingOccurrences(of: "m=audio 40000", with: "m=audio 0"),
         "the audio m-line is declined (port 0)"),
        ("v=0\ns=-\nt=0 0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\n", "no audio m-line"),
    ])
    func refusesWithAPreciseMessage(offer: String, message: String) {
        #expect(inspectError(offer) == message)
    }

    @Test func skipsCandidatesLibniceCannotUse() throws {
        let offer = WebRTCCorpus.minimal(extra: """
            a=candidate:2 1 udp 2122194687 0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.local 51820 typ host
            a=candidate:3 2 udp 2130706430 198.51.100.5 40001 typ host
            a=candidate:4 1 udp 2130706431 198.51.100.5
            a=candidate:5 1 udp 2130706431 198.51.100.5 notaport typ host
            a=candidate:6 1 tcp 1518280447 198.51.100.5 9 typ host tcptype active
            a=candidate:\u{659}7 1 udp 2130706431 198.51.100.5 40002 typ host
            a=candidate:8_x 1 udp 2130706431 198.51.100.5 40003 typ host
            a=candidate:9 1 udp 21307064310 198.51.100.5 40004 typ host
            a=candidate:10 1 udp -1 198.51.100.5 40005 typ host
            """)
        let candidates = try WebRTCNegotiator.inspectOffer(offer, local: Self.local).remote.candidates
        #expect(candidates == ["a=candidate:1 1 udp 2130706431 198.51.100.5 40000 typ host",
                               "a=candidate:6 1 tcp 1518280447 198.51.100.5 9 typ host tcptype active"])
    }

    // MARK: Softphoned offering

    @Test func ourOfferParsesBackWithOurSSRCAndActpass() throws {
        let offer = try SDPParser.parse(WebRTCNegotiator.makeOffer(local: Self.local, webrtc: Self.webrtc))
        #expect(offer.attributes.values(of: "group") == ["BUNDLE 0"])
        #expect(offer.attributes.values(of: "msid-semantic") == ["WMS agent"])
        #expect(offer.media.count == 1)
        expectWebRTCAudio(offer.media[0], payloadType: "111", setup: .actpass, mid: "0",
                          rtpmaps: Self.offerRTPMaps, fmtps: Self.offerFMTPs)
    }

    @Test func chromeAnswersActiveSoSoftphonedIsServer() throws {
        let negotiation = try WebRTCNegotiator.complete(offer: Self.local, withAnswer: WebRTCCorpus.chromeAnswer())
        #expect(negotiation.role == .server)
        #expect(negotiation.iceControlling)
        #expect(negotiation.mid == "0")
        #expect(negotiation.media.payloadType == 111)
        #expect(negotiation.media.direction == .sendonly)  // Chrome answered recvonly
        #expect(negotiation.remote.iceUfrag == "Hn2+")
        #expect(negotiation.remote.setup == .active)
        // The same candidate on two networks: both kept, libnice pairs each.
        #expect(negotiation.remote.candidates.count == 2)
    }

    @Test func passiveAnswerMakesSoftphonedClient() throws {
        let negotiation = try WebRTCNegotiator.complete(offer: Self.local, withAnswer: WebRTCCorpus.chromeAnswer(setup: "passive"))
        #expect(negotiation.role == .client)
        #expect(negotiation.iceControlling)
    }

    @Test func completeRefusesAnswersThatCannotWork() {
        #expect(completeError(WebRTCCorpus.chromeAnswer(setup: "actpass"))
            == "the answer has a=setup:actpass; an answer must choose a=setup:active or a=setup:passive (RFC 5763 §5)")
        #expect(completeError(WebRTCCorpus.chromeAnswer(setup: "holdconn"))
            == "a=setup:holdconn is not supported: softphoned needs a DTLS connection; offer a=setup:actpass")
        #expect(completeError(WebRTCCorpus.chromeAnswer().replacingOccurrences(of: "a=rtcp-mux\r\n", with: ""))
            == "WebRTC requires a=rtcp-mux on the audio m-line: softphoned sends RTP and RTCP on one ICE component")
        #expect(completeError(WebRTCCorpus.chromeAnswer().replacingOccurrences(of: "UDP/TLS/RTP/SAVPF 111", with: "UDP/TLS/RTP/SAVPF 96"))
            == "the answer accepts none of the offered codecs (offered payload types 111 0 8 9: opus, PCMU, PCMA, G722; answered payload types 96)")
        #expect(completeError(WebRTCCorpus.chromeAnswer().replacingOccurrences(of: "m=audio 9", with: "m=audio 0"))
            == "the audio m-line is declined (port 0)")
    }

    /// Softphoned offering to softphoned: each side's roles complement the other's.
    @Test func ourOfferAnsweredByOurselvesGivesComplementaryRoles() throws {
        var bobParameters = Self.webrtc
        bobParameters.iceUfrag = "bobb"
        bobParameters.ssrc = 7
        let offer = WebRTCNegotiator.makeOffer(local: Self.local, webrtc: Self.webrtc)
        let bob = try WebRTCNegotiator.inspectOffer(offer, local: Self.local)
        let answer = WebRTCNegotiator.answer(bob, offer: offer, local: Self.local, webrtc: bobParameters)
        let alice = try WebRTCNegotiator.complete(offer: Self.local, withAnswer: answer)
        #expect(alice.role == bob.role.peer)
        #expect(alice.iceControlling != bob.iceControlling)
        #expect(bob.remote.fingerprints == [Self.ourFingerprint])
        #expect(bob.remote.candidates == ["a=candidate:1 1 UDP 2013266431 192.0.2.1 30000 typ host",
                                          "a=candidate:2 1 TCP 1019216383 192.0.2.1 9 typ host tcptype active"])
        #expect(alice.remote.iceUfrag == "bobb")
        #expect(try SDPParser.parse(answer).media[0].values(of: "ssrc") == ["7 cname:softphoned-cname"])
    }

    // MARK: Renegotiation

    @Test func chromeReofferKeepsTheRolesAndSeesNoRestart() throws {
        let first = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.chromeOffer, local: Self.local)
        // Chrome, now DTLS server, re-offers its role; and puts the call on hold.
        let reoffer = WebRTCCorpus.chromeOffer
            .replacingOccurrences(of: "a=setup:actpass", with: "a=setup:passive")
            .replacingOccurrences(of: "a=sendrecv", with: "a=sendonly")
        let second = try WebRTCNegotiator.inspectOffer(reoffer, local: Self.local, established: first)
        #expect(second.role == .client)
        #expect(!second.iceRestart)
        #expect(second.media.direction == .recvonly)
        let answer = try SDPParser.parse(WebRTCNegotiator.answer(second, offer: reoffer, local: Self.local, webrtc: Self.webrtc))
        #expect(answer.media[0].values(of: "setup") == ["active"])
        #expect(answer.media[0].direction == .recvonly)
        // An actpass re-offer keeps the role too.
        #expect(try WebRTCNegotiator.inspectOffer(WebRTCCorpus.chromeOffer, local: Self.local, established: first).role == .client)
    }

    @Test func reofferThatWouldSwapTheRolesIsRefused() throws {
        let first = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.chromeOffer, local: Self.local)
        let reoffer = WebRTCCorpus.chromeOffer.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:active")
        #expect(inspectError(reoffer, established: first)
            == "the re-offer's a=setup:active would change the DTLS roles of the call (softphoned is its DTLS client); a renegotiation keeps them (RFC 8842 §5.5): the peer stays DTLS server (a=setup:passive)")
    }

    @Test func reofferWithAnotherCertificateIsRefused() throws {
        let first = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.chromeOffer, local: Self.local)
        let reoffer = WebRTCCorpus.chromeOffer.replacingOccurrences(of: WebRTCCorpus.chromeFingerprint, with: WebRTCCorpus.janusFingerprint)
        #expect(inspectError(reoffer, established: first)
            == "the re-offer changes the peer's a=fingerprint, which would need a new DTLS association; softphoned keeps the call's association: hang up and call again")
        // The same certificate written in lower case is the same certificate.
        let lower = WebRTCCorpus.chromeOffer.replacingOccurrences(of: WebRTCCorpus.chromeFingerprint, with: WebRTCCorpus.chromeFingerprint.lowercased())
        #expect(inspectError(lower, established: first) == nil)
    }

    @Test func iceRestartIsDetected() throws {
        let first = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.janusOffer, local: Self.local)
        let newPassword = WebRTCCorpus.janusOffer.replacingOccurrences(of: "a=ice-pwd:Ha4kLm9Qw2Er6Ty8Ui0Op2", with: "a=ice-pwd:Zz4kLm9Qw2Er6Ty8Ui0Op2")
        let newUfrag = WebRTCCorpus.janusOffer.replacingOccurrences(of: "a=ice-ufrag:Yr8d", with: "a=ice-ufrag:Qw3e")
        #expect(try WebRTCNegotiator.inspectOffer(newPassword, local: Self.local, established: first).iceRestart)
        let restarted = try WebRTCNegotiator.inspectOffer(newUfrag, local: Self.local, established: first)
        #expect(restarted.iceRestart)
        #expect(restarted.remote.iceUfrag == "Qw3e")
        #expect(restarted.role == first.role)
        #expect(try !WebRTCNegotiator.inspectOffer(WebRTCCorpus.janusOffer, local: Self.local, established: first).iceRestart)
    }

    /// RFC 8445 §6.1.1: the controlling role chosen in the first exchange survives a
    /// renegotiation without ICE restart, whoever offers.
    @Test func iceRoleSurvivesRenegotiationWithoutRestart() throws {
        let answered = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.chromeOffer, local: Self.local)
        #expect(!answered.iceControlling)
        let reoffer = WebRTCNegotiator.makeOffer(local: Self.local, webrtc: Self.webrtc, established: answered)
        #expect(try SDPParser.parse(reoffer).media[0].values(of: "setup") == ["active"])
        let chromeAnswer = WebRTCCorpus.chromeAnswer(setup: "passive")
            .replacingOccurrences(of: "a=ice-ufrag:Hn2+", with: "a=ice-ufrag:P4G/")
            .replacingOccurrences(of: "a=ice-pwd:Pq7wE3rT5yU1iO9pA2sD4fG6", with: "a=ice-pwd:Zq3vT8yXk1LmN5bR7cW2hD9e")
        let completed = try WebRTCNegotiator.complete(offer: Self.local, withAnswer: chromeAnswer, established: answered)
        #expect(!completed.iceRestart)
        #expect(!completed.iceControlling)
        #expect(completed.role == .client)
        // Chrome answering our re-offer `active` would swap the roles.
        #expect(completeError(WebRTCCorpus.chromeAnswer(setup: "active"), established: answered)?.hasPrefix("the answer's a=setup:active would change the DTLS roles") == true)
    }
}
