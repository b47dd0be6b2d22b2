import Foundation
import MediaCore
import Testing

@Suite struct SDPNegotiatorTests {
    static let local = LocalMediaParameters(address: "192.0.2.1", port: 30000, sessionID: 42, sessionVersion: 1)
    static let key80 = try! SRTPMasterKey(suite: .aesCM128HMACSHA1_80, inline: "inline:" + SDPCorpus.key80)

    /// The error `answer(to:local:)` throws for `offer`, or nil when it accepts it.
    func answerError(_ offer: String, local: LocalMediaParameters = Self.local) -> String? {
        do {
            _ = try SDPNegotiator.answer(to: offer, local: local)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Answering real-looking offers

    @Test func answersBrowserOffer() throws {
        let (sdp, negotiated) = try SDPNegotiator.answer(to: SDPCorpus.browser, local: Self.local)
        #expect(negotiated.remote == MediaEndpoint(host: "203.0.113.7", port: 54321))
        #expect(negotiated.remote.description == "203.0.113.7:54321")
        #expect(negotiated.rtcpMux)
        #expect(negotiated.remoteRTCP == negotiated.remote)
        #expect(negotiated.codec == .opus)
        #expect(negotiated.payloadType == 111)
        // Opus's clock: the offer's telephone-event/48000, not /32000, /16000 or /8000.
        #expect(negotiated.telephoneEventPayloadType == 110)
        #expect(negotiated.suite == .aesCM128HMACSHA1_80)
        #expect(negotiated.remoteKey == Self.key80)
        #expect(negotiated.localKey != Self.key80)
        #expect(negotiated.direction == .sendrecv)
        #expect(negotiated.remoteWantsFEC)
        #expect(!negotiated.remotePrefersDTX)
        #expect(negotiated.remoteMaxAverageBitrate == 40000)
        #expect(negotiated.remotePtime == nil)

        let answer = try SDPParser.parse(sdp)
        #expect(answer.origin == .init(username: "softphoned", sessionID: "42", sessionVersion: "1", addressType: "IP4", address: "192.0.2.1"))
        #expect(answer.connection == .init(addressType: "IP4", address: "192.0.2.1"))
        #expect(answer.media.count == 2)
        let audio = answer.media[0]
        #expect(audio.port == 30000)
        #expect(audio.proto == "RTP/SAVPF")
        #expect(audio.formats == ["111", "110"])
        #expect(audio.values(of: "mid") == ["0"])
        #expect(audio.values(of: "rtpmap") == ["111 opus/48000/2", "110 telephone-event/48000"])
        #expect(audio.values(of: "fmtp") == ["111 minptime=10;useinbandfec=1", "110 0-16"])
        #expect(audio.values(of: "ptime") == ["20"])
        #expect(audio.has("rtcp-mux"))
        #expect(audio.direction == .sendrecv)
        #expect(audio.values(of: "crypto") == ["1 AES_CM_128_HMAC_SHA1_80 \(negotiated.localKey.inlineKey)"])
        // Video is declined, not dropped, and keeps its mid.
        #expect(answer.media[1].media == "video")
        #expect(answer.media[1].port == 0)
        #expect(answer.media[1].values(of: "mid") == ["1"])
        #expect(answer.media[1].values(of: "crypto").isEmpty)
    }

    @Test func answersMinimalOfferWithItsPayloadType() throws {
        let (sdp, negotiated) = try SDPNegotiator.answer(to: SDPCorpus.gstreamer, local: Self.local)
        #expect(negotiated.payloadType == 96)
        #expect(negotiated.remote.description == "192.0.2.10:5004")
        #expect(!negotiated.rtcpMux)
        #expect(negotiated.remoteRTCP == MediaEndpoint(host: "192.0.2.10", port: 5005))
        #expect(!negotiated.remoteWantsFEC)
        let audio = try SDPParser.parse(sdp).media[0]
        #expect(audio.formats == ["96"])
        #expect(audio.proto == "RTP/SAVP")
        #expect(audio.values(of: "rtpmap") == ["96 opus/48000/2"])
        // RFC 5761: no rtcp-mux in the answer when the offer had none; a=rtcp names our one port.
        #expect(!audio.has("rtcp-mux"))
        #expect(audio.values(of: "rtcp") == ["30000"])
    }

    @Test func answersIPv6OfferServingTheFirstUsableAudio() throws {
        let local = LocalMediaParameters(address: "2001:db8::99", port: 40002, dtx: true)
        let (sdp, negotiated) = try SDPNegotiator.answer(to: SDPCorpus.ipv6VideoFirst, local: local)
        #expect(negotiated.remote.description == "[2001:db8::42]:7078")
        #expect(negotiated.payloadType == 101)
        #expect(negotiated.direction == .sendrecv)  // media-level sendrecv beats session-level sendonly
        #expect(!negotiated.remoteWantsFEC)
        #expect(negotiated.remotePrefersDTX)
        #expect(negotiated.remotePtime == 40)
        #expect(negotiated.remoteKey == Self.key80)  // lifetime and KDR parameters ignored
        let answer = try SDPParser.parse(sdp)
        #expect(answer.origin?.addressType == "IP6")
        #expect(answer.connection == .init(addressType: "IP6", address: "2001:db8::99"))
        #expect(answer.media.map(\.port) == [0, 0, 40002])
        #expect(answer.media[2].values(of: "crypto").first?.hasPrefix("3 AES_CM_128_HMAC_SHA1_80 inline:") == true)
        #expect(answer.media[2].values(of: "fmtp") == ["101 minptime=10;useinbandfec=1;usedtx=1"])
    }

    @Test func sessionLevelConnectionAndRTCPAttribute() throws {
        let offer = SDPCorpus.minimal(extra: "a=rtpmap:111 opus/48000/2\na=rtcp:40011 IN IP4 198.51.100.6")
        let negotiated = try SDPNegotiator.answer(to: offer, local: Self.local).negotiated
        #expect(negotiated.remote.description == "198.51.100.5:40000")
        #expect(negotiated.remoteRTCP.description == "198.51.100.6:40011")
    }

    @Test func picksTheFirstOfferedSuiteTheLocalSideSupportsAndEchoesItsTag() throws {
        let offer = SDPCorpus.minimal(crypto: """
            a=crypto:5 F8_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)
            a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)|2^20|1:4
            a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:\(SDPCorpus.key32)
            a=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)
            """)
        var local = Self.local
        local.suites = [.aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32]
        let (sdp, negotiated) = try SDPNegotiator.answer(to: offer, local: local)
        #expect(negotiated.suite == .aesCM128HMACSHA1_32)
        #expect(negotiated.localKey.suite == .aesCM128HMACSHA1_32)
        let crypto = try SDPParser.parse(sdp).media[0].values(of: "crypto")
        #expect(crypto.count == 1)
        #expect(crypto[0].hasPrefix("7 AES_CM_128_HMAC_SHA1_32 inline:"))
    }

    @Test func acceptsGCMAndSessionLevelCrypto() throws {
        let offer = SDPCorpus.minimal(crypto: "").replacingOccurrences(
            of: "t=0 0\n", with: "t=0 0\na=crypto:1 AEAD_AES_256_GCM inline:\(SDPCorpus.key256)\n")
        var local = Self.local
        local.suites = [.aeadAES256GCM]
        let negotiated = try SDPNegotiator.answer(to: offer, local: local).negotiated
        #expect(negotiated.suite == .aeadAES256GCM)
        #expect(negotiated.localKey.material.count == 44)
    }

    // MARK: Refusals, each with the exact message

    @Test(arguments: [
        (SDPCorpus.minimal(formats: "18 3 101", extra: "a=rtpmap:18 G729/8000\na=rtpmap:101 telephone-event/8000"),
         "no codec in common: the offer has payload types 18 3 101 (G729/8000, no a=rtpmap for 3, telephone-event/8000); softphoned speaks opus, PCMU, PCMA, G722 (media.codecs)"),
        (SDPCorpus.minimal(formats: "111", extra: "a=rtpmap:111 opus/8000/1"),
         "no codec in common: the offer has payload types 111 (opus/8000/1); softphoned speaks opus, PCMU, PCMA, G722 (media.codecs)"),
        (SDPCorpus.minimal(crypto: ""),
         "the audio m-line has no a=crypto line; softphoned needs SDES keys (RFC 4568)"),
        (SDPCorpus.minimal(crypto: "a=crypto:1 F8_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)\na=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)|2^20|1:4"),
         "no a=crypto line with a supported suite (offered: F8_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_80 with MKI; supported: AES_CM_128_HMAC_SHA1_80)"),
        (SDPCorpus.minimal(crypto: "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:not*base64!"),
         "a=crypto:1 key is not valid base64"),
        (SDPCorpus.minimal(crypto: "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.shortKey)"),
         "a=crypto:2 key is 20 bytes; AES_CM_128_HMAC_SHA1_80 needs 30 (key and salt)"),
        (SDPCorpus.minimal(crypto: "a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:https://keys.example/1"),
         "a=crypto:1 key is not of the form inline:<base64 key and salt>"),
        (SDPCorpus.minimal(crypto: "a=crypto:AES_CM_128_HMAC_SHA1_80"),
         "a=crypto:AES_CM_128_HMAC_SHA1_80 is malformed; expected a=crypto:<tag> <suite> inline:<base64 key and salt>"),
        (SDPCorpus.minimal(proto: "UDP/TLS/RTP/SAVPF"),
         "the audio m-line uses UDP/TLS/RTP/SAVPF (DTLS-SRTP), which needs a WebRTC description with a=fingerprint and a=ice-ufrag; otherwise use RTP/SAVP with SDES a=crypto"),
        (SDPCorpus.minimal(proto: "RTP/AVP"),
         "the audio m-line uses RTP/AVP (unencrypted RTP), which softphoned does not support; use RTP/SAVP with SDES a=crypto"),
        (SDPCorpus.minimal(proto: "TCP/RTP/SAVP"),
         "the audio m-line uses TCP/RTP/SAVP, which softphoned does not support; use RTP/SAVP with SDES a=crypto"),
        (SDPCorpus.minimal(connection: ""),
         "the audio m-line has no connection address (no c= line at session or media level)"),
        (SDPCorpus.minimal(connection: "c=IN IP4 pbx.example.com"),
         "the connection address IP4 pbx.example.com is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
        (SDPCorpus.minimal(connection: "c=IN IP4 300.1.1.1"),
         "the connection address IP4 300.1.1.1 is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
        // Forms a lax check let through and the socket layer refuses (a trap once).
        (SDPCorpus.minimal(connection: "c=IN IP4 01.2.3.4"),
         "the connection address IP4 01.2.3.4 is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
        (SDPCorpus.minimal(connection: "c=IN IP4 +1.2.3.4"),
         "the connection address IP4 +1.2.3.4 is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
        (SDPCorpus.minimal(connection: "c=IN IP6 1:2:3:4:5:6:7:8:9"),
         "the connection address IP6 1:2:3:4:5:6:7:8:9 is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
        (SDPCorpus.minimal(connection: "c=IN IP6 ::::"),
         "the connection address IP6 :::: is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
        (SDPCorpus.minimal(extra: "a=rtpmap:111 opus/48000/2\na=rtcp:4000 IN IP4 1.2.3.04"),
         "the connection address IP4 1.2.3.04 is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
        ("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=video 5000 RTP/SAVP 96\na=rtpmap:96 VP8/90000\n",
         "no audio m-line"),
        ("v=0\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 0 RTP/SAVP 111\na=rtpmap:111 opus/48000/2\n",
         "the audio m-line is declined (port 0)"),
        ("v=0\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\ngarbage\n", "line 5 is not of the form x=value"),
    ])
    func refusesWithAPreciseMessage(offer: String, message: String) {
        #expect(answerError(offer) == message)
    }

    @Test func reportsTheFirstUsableLinesProblemWhenNoAudioLineWorks() {
        let offer = SDPCorpus.minimal(formats: "18", extra: "a=rtpmap:18 G729/8000")
            + "m=audio 40002 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n"
        #expect(answerError(offer)
            == "no codec in common: the offer has payload types 18 (G729/8000); softphoned speaks opus, PCMU, PCMA, G722 (media.codecs)")
    }

    // MARK: Direction (RFC 3264 §6.1)

    @Test(arguments: [
        (MediaDirection.sendrecv, MediaDirection.sendrecv, MediaDirection.sendrecv),
        (.sendonly, .sendrecv, .recvonly),
        (.recvonly, .sendrecv, .sendonly),
        (.inactive, .sendrecv, .inactive),
        (.sendrecv, .sendonly, .sendonly),  // we hold while answering
        (.sendonly, .sendonly, .inactive),
        (.sendrecv, .inactive, .inactive),
    ])
    func answerDirection(offered: MediaDirection, local: MediaDirection, answered: MediaDirection) throws {
        var parameters = Self.local
        parameters.direction = local
        let offer = SDPCorpus.minimal(extra: "a=rtpmap:111 opus/48000/2\na=\(offered.rawValue)")
        let (sdp, negotiated) = try SDPNegotiator.answer(to: offer, local: parameters)
        #expect(negotiated.direction == answered)
        #expect(try SDPParser.parse(sdp).media[0].direction == answered)
    }

    /// `a=fmtp:111 =` (a pair with neither name nor value) once trapped the parser.
    @Test(arguments: ["=", ";", " = ; =1;useinbandfec=1", "useinbandfec"])
    func formatParametersWithoutANameAreSkipped(parameters: String) throws {
        let offer = SDPCorpus.minimal(extra: "a=rtpmap:111 opus/48000/2\na=fmtp:111 \(parameters)")
        let (_, negotiated) = try SDPNegotiator.answer(to: offer, local: Self.local)
        #expect(negotiated.remoteWantsFEC == parameters.hasSuffix("useinbandfec=1"))
        let media = try SDPParser.parse(offer).media[0]
        #expect(media.formatParameters(for: "111")[""] == nil)
    }

    @Test func unspecifiedAddressIsTheOldHold() throws {
        let offer = SDPCorpus.minimal(connection: "c=IN IP4 0.0.0.0")
        let negotiated = try SDPNegotiator.answer(to: offer, local: Self.local).negotiated
        #expect(negotiated.direction == .recvonly)
        #expect(!negotiated.direction.sends)
    }

    // MARK: Offer, answer, complete

    @Test func offerAnswerRoundTrip() throws {
        var alice = LocalMediaParameters(address: "127.0.0.1", port: 20000,
                                         suites: [.aeadAES128GCM, .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32])
        alice.dtx = true
        let bob = LocalMediaParameters(address: "::1", port: 20002, suites: [.aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32])

        let (offer, pending) = SDPNegotiator.makeOffer(local: alice)
        #expect(pending.offeredKeys.map(\.suite) == alice.suites)
        #expect(Set(pending.offeredKeys.map(\.material)).count == 3)  // one fresh key per line
        let parsedOffer = try SDPParser.parse(offer)
        #expect(parsedOffer.origin?.username == "softphoned")
        #expect(parsedOffer.media[0].proto == "RTP/SAVP")
        #expect(parsedOffer.media[0].formats == ["111", "0", "8", "9", "110", "101"])
        #expect(parsedOffer.media[0].values(of: "fmtp") == ["111 minptime=10;useinbandfec=1;usedtx=1", "110 0-16", "101 0-16"])
        #expect(parsedOffer.media[0].values(of: "crypto").map { $0.prefix(2) } == ["1 ", "2 ", "3 "])

        let (answer, bobSide) = try SDPNegotiator.answer(to: offer, local: bob)
        let aliceSide = try SDPNegotiator.complete(pending, withAnswer: answer)

        #expect(bobSide.suite == .aesCM128HMACSHA1_80)
        #expect(aliceSide.suite == .aesCM128HMACSHA1_80)
        #expect(aliceSide.localKey == pending.offeredKeys[1])
        #expect(bobSide.remoteKey == aliceSide.localKey)
        #expect(aliceSide.remoteKey == bobSide.localKey)
        #expect(aliceSide.localKey != bobSide.localKey)
        #expect(aliceSide.remote.description == "[::1]:20002")
        #expect(bobSide.remote.description == "127.0.0.1:20000")
        #expect(aliceSide.rtcpMux && bobSide.rtcpMux)
        #expect(aliceSide.payloadType == 111 && bobSide.payloadType == 111)
        #expect(aliceSide.codec == .opus && bobSide.codec == .opus)
        #expect(aliceSide.telephoneEventPayloadType == 110 && bobSide.telephoneEventPayloadType == 110)
        #expect(aliceSide.direction == .sendrecv && bobSide.direction == .sendrecv)
        #expect(bobSide.remotePrefersDTX)
        #expect(!aliceSide.remotePrefersDTX)
        #expect(aliceSide.remoteWantsFEC && bobSide.remoteWantsFEC)
        #expect(aliceSide.remotePtime == 20)
    }

    @Test func reofferToHoldKeepsKeysAndChangesOnlyDirection() throws {
        let alice = LocalMediaParameters(address: "127.0.0.1", port: 20000, sessionID: 7, sessionVersion: 1)
        let bob = LocalMediaParameters(address: "127.0.0.1", port: 20002)
        let (offer, pending) = SDPNegotiator.makeOffer(local: alice)
        let (answer, _) = try SDPNegotiator.answer(to: offer, local: bob)
        let first = try SDPNegotiator.complete(pending, withAnswer: answer)

        var hold = alice
        hold.direction = .sendonly
        hold.sessionVersion = 2
        hold.sendingKeys = [first.localKey]
        let (reoffer, pendingHold) = SDPNegotiator.makeOffer(local: hold)
        #expect(try SDPParser.parse(reoffer).origin?.sessionVersion == "2")
        #expect(try SDPParser.parse(reoffer).media[0].direction == .sendonly)

        var bobAgain = bob
        bobAgain.sendingKeys = [first.remoteKey]
        let (holdAnswer, bobHeld) = try SDPNegotiator.answer(to: reoffer, local: bobAgain)
        #expect(bobHeld.direction == .recvonly)
        #expect(try SDPParser.parse(holdAnswer).media[0].direction == .recvonly)
        let held = try SDPNegotiator.complete(pendingHold, withAnswer: holdAnswer)
        #expect(held.direction == .sendonly)
        #expect(held.localKey == first.localKey)
        #expect(held.remoteKey == first.remoteKey)
    }

    @Test func completeRefusesAnswersThatDoNotMatch() throws {
        let (_, pending) = SDPNegotiator.makeOffer(local: Self.local)
        func completeError(_ answer: String) -> String? {
            do {
                _ = try SDPNegotiator.complete(pending, withAnswer: answer)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(completeError(SDPCorpus.minimal(crypto: "a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)"))
            == "the answer's a=crypto does not match the offer: tag 9 was not offered (offered tags 1)")
        #expect(completeError(SDPCorpus.minimal(crypto: "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:\(SDPCorpus.key80)"))
            == "the answer's a=crypto does not match the offer: tag 1 was offered as AES_CM_128_HMAC_SHA1_80 but answered as AES_CM_128_HMAC_SHA1_32")
        #expect(completeError(SDPCorpus.minimal(formats: "96", extra: "a=rtpmap:96 G729/8000"))
            == "the answer accepts none of the offered codecs (offered payload types 111 0 8 9: opus, PCMU, PCMA, G722; answered payload types 96)")
        // DTMF alone carries no audio.
        #expect(completeError(SDPCorpus.minimal(formats: "101", extra: "a=rtpmap:101 telephone-event/8000"))
            == "the answer accepts none of the offered codecs (offered payload types 111 0 8 9: opus, PCMU, PCMA, G722; answered payload types 101)")
        #expect(completeError(SDPCorpus.minimal().replacingOccurrences(of: "m=audio 40000", with: "m=audio 0"))
            == "the audio m-line is declined (port 0)")
        #expect(completeError(SDPCorpus.minimal(crypto: "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)\na=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.key80)"))
            == "the answer must carry exactly one a=crypto line on the audio m-line, it has 2")
        #expect(completeError(SDPCorpus.minimal(crypto: "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(SDPCorpus.shortKey)"))
            == "a=crypto:1 key is 20 bytes; AES_CM_128_HMAC_SHA1_80 needs 30 (key and salt)")
        #expect(completeError(SDPCorpus.minimal(proto: "UDP/TLS/RTP/SAVP"))
            == "the audio m-line uses UDP/TLS/RTP/SAVP (DTLS-SRTP), which needs a WebRTC description with a=fingerprint and a=ice-ufrag; otherwise use RTP/SAVP with SDES a=crypto")
        #expect(try SDPNegotiator.complete(pending, withAnswer: SDPCorpus.minimal()).remoteKey == Self.key80)
    }
}
