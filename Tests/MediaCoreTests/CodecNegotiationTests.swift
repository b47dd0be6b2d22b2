import Foundation
import MediaCore
import Testing

/// G.711, G.722 and RFC 4733 telephone-event beside Opus, in SDES and WebRTC exchanges.
@Suite struct CodecNegotiationTests {
    static let local = LocalMediaParameters(address: "192.0.2.1", port: 30000, sessionID: 42, sessionVersion: 1)

    static func local(_ codecs: [AudioCodec], telephoneEvents: Bool = true) -> LocalMediaParameters {
        var local = Self.local
        local.codecs = codecs
        local.telephoneEvents = telephoneEvents
        return local
    }

    func answerError(_ offer: String, local: LocalMediaParameters = Self.local) -> String? {
        do {
            _ = try SDPNegotiator.answer(to: offer, local: local)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: AudioCodec

    @Test func codecConstants() {
        #expect(AudioCodec.allCases.map(\.encodingName) == ["opus", "PCMU", "PCMA", "G722"])
        #expect(AudioCodec.allCases.map(\.rtpClockRate) == [48000, 8000, 8000, 8000])
        #expect(AudioCodec.allCases.map(\.sampleRate) == [48000, 8000, 8000, 16000])
        #expect(AudioCodec.allCases.map(\.staticPayloadType) == [nil, 0, 8, 9])
    }

    @Test(arguments: [("opus", AudioCodec?.some(.opus)), ("OPUS", .opus), ("pcmu", .pcmu), ("PCMA", .pcma), ("G722", .g722),
                      ("g722", .g722), (" opus", nil), ("pcmu ", nil), ("g711u", nil), ("ulaw", nil), ("G.722", nil),
                      ("", nil), ("opus\u{0}", nil), ("PCMU/8000", nil), ("ｏｐｕｓ", nil)])
    func configurationNamesAreStrict(name: String, codec: AudioCodec?) {
        #expect(AudioCodec(configurationName: name) == codec)
    }

    // MARK: Answering a PBX

    @Test func pbxOfferIsAnsweredWithPCMUAndItsTelephoneEvent() throws {
        let (sdp, negotiated) = try SDPNegotiator.answer(to: SDPCorpus.pbx(), local: Self.local)
        #expect(negotiated.codec == .pcmu)
        #expect(negotiated.payloadType == 0)
        #expect(negotiated.telephoneEventPayloadType == 101)
        #expect(negotiated.remote.description == "203.0.113.50:4000")
        #expect(negotiated.remotePtime == 20)
        #expect(negotiated.ptime == 20)
        #expect(!negotiated.remoteWantsFEC)
        #expect(negotiated.direction == .sendrecv)
        #expect(negotiated.remoteKey.inlineKey == "inline:" + SDPCorpus.key80)

        let audio = try SDPParser.parse(sdp).media[0]
        #expect(audio.proto == "RTP/SAVP")
        #expect(audio.formats == ["0", "101"])
        #expect(audio.values(of: "rtpmap") == ["0 PCMU/8000", "101 telephone-event/8000"])
        // No Opus fmtp on an m-line without Opus; the telephone-event's is echoed.
        #expect(audio.values(of: "fmtp") == ["101 0-16"])
        #expect(audio.values(of: "ptime") == ["20"])
        #expect(!audio.has("maxptime"))  // 120 ms is Opus's (RFC 7587 §7)
        #expect(audio.values(of: "crypto").first?.hasPrefix("1 AES_CM_128_HMAC_SHA1_80 inline:") == true)
    }

    @Test(arguments: [10, 30, 40, 60])
    func offeredPtimeIsRecordedNotRefused(ptime: Int) throws {
        let negotiated = try SDPNegotiator.answer(to: SDPCorpus.pbx(ptime: ptime), local: Self.local).negotiated
        #expect(negotiated.remotePtime == ptime)
        #expect(negotiated.ptime == 20)
    }

    @Test func withoutTelephoneEventsTheAnswerHasNone() throws {
        let (sdp, negotiated) = try SDPNegotiator.answer(to: SDPCorpus.pbx(), local: Self.local([.pcmu], telephoneEvents: false))
        #expect(negotiated.telephoneEventPayloadType == nil)
        #expect(try SDPParser.parse(sdp).media[0].formats == ["0"])
    }

    // MARK: Whose preference

    @Test(arguments: [
        ([AudioCodec.g722, .pcmu], "0 8 9", AudioCodec.g722, UInt8(9)),
        ([.pcmu, .g722], "9 8 0", .pcmu, 0),  // ours, not the offer's order
        ([.opus, .pcma, .pcmu], "0 8 9", .pcma, 8),
        ([.opus, .pcmu, .pcma, .g722], "9 8", .pcma, 8),
    ])
    func answerTakesOurMostPreferredOfferedCodec(codecs: [AudioCodec], formats: String, codec: AudioCodec, payloadType: UInt8) throws {
        let offer = SDPCorpus.pbx(formats: formats + " 101")
        let (sdp, negotiated) = try SDPNegotiator.answer(to: offer, local: Self.local(codecs))
        #expect(negotiated.codec == codec)
        #expect(negotiated.payloadType == payloadType)
        #expect(negotiated.telephoneEventPayloadType == 101)
        let audio = try SDPParser.parse(sdp).media[0]
        #expect(audio.formats == [String(payloadType), "101"])
        #expect(audio.values(of: "rtpmap") == ["\(payloadType) \(codec.encodingName)/8000", "101 telephone-event/8000"])
    }

    @Test func opusAndG711OfferIsAnsweredWithOpusAndTheOpusClockTelephoneEvent() throws {
        let offer = SDPCorpus.minimal(formats: "0 8 111 101 110", extra: """
            a=rtpmap:101 telephone-event/8000
            a=rtpmap:111 opus/48000/2
            a=fmtp:111 useinbandfec=1
            a=rtpmap:110 telephone-event/48000
            """)
        let (sdp, negotiated) = try SDPNegotiator.answer(to: offer, local: Self.local)
        #expect(negotiated.codec == .opus)
        #expect(negotiated.payloadType == 111)
        #expect(negotiated.telephoneEventPayloadType == 110)
        #expect(negotiated.remoteWantsFEC)
        let audio = try SDPParser.parse(sdp).media[0]
        #expect(audio.formats == ["111", "110"])
        #expect(audio.values(of: "fmtp") == ["111 minptime=10;useinbandfec=1", "110 0-16"])

        // The same offer to a side that prefers PCMU: 0 with the 8000 Hz events.
        let pcmu = try SDPNegotiator.answer(to: offer, local: Self.local([.pcmu, .opus])).negotiated
        #expect(pcmu.codec == .pcmu && pcmu.payloadType == 0 && pcmu.telephoneEventPayloadType == 101)
        // Opus with only 8000 Hz events offered: no telephone-event (RFC 4733 §2.1: the audio's clock).
        let noEvents = SDPCorpus.minimal(formats: "111 101", extra: "a=rtpmap:111 opus/48000/2\na=rtpmap:101 telephone-event/8000")
        let (opusSDP, opus) = try SDPNegotiator.answer(to: noEvents, local: Self.local)
        #expect(opus.codec == .opus && opus.telephoneEventPayloadType == nil)
        #expect(try SDPParser.parse(opusSDP).media[0].formats == ["111"])
    }

    @Test func g722RunsOnAn8000HzClock() throws {
        let offer = SDPCorpus.pbx(formats: "9 102 101", rtpmap: """
            a=rtpmap:102 telephone-event/16000
            a=rtpmap:101 telephone-event/8000
            """)
        let negotiated = try SDPNegotiator.answer(to: offer, local: Self.local([.g722]))
        #expect(negotiated.negotiated.codec == .g722)
        #expect(negotiated.negotiated.telephoneEventPayloadType == 101)
        #expect(try SDPParser.parse(negotiated.sdp).media[0].values(of: "rtpmap") == ["9 G722/8000", "101 telephone-event/8000"])
        // G722/16000 (its sample rate, not its RTP clock) is not G.722.
        #expect(answerError(SDPCorpus.minimal(formats: "96", extra: "a=rtpmap:96 G722/16000"), local: Self.local([.g722]))
            == "no codec in common: the offer has payload types 96 (G722/16000); softphoned speaks G722 (media.codecs)")
    }

    // MARK: Recognising codecs

    @Test func rtpmapOfAStaticPayloadTypeMustAgree() throws {
        // PT 0 claimed as PCMA is not PCMU: the answer takes PCMA at 8.
        let offer = SDPCorpus.pbx(formats: "0 8", rtpmap: "a=rtpmap:0 PCMA/8000")
        let negotiated = try SDPNegotiator.answer(to: offer, local: Self.local([.pcmu, .pcma])).negotiated
        #expect(negotiated.codec == .pcma)
        #expect(negotiated.payloadType == 8)
        #expect(answerError(SDPCorpus.pbx(formats: "0", rtpmap: "a=rtpmap:0 G729/8000"), local: Self.local([.pcmu]))
            == "no codec in common: the offer has payload types 0 (G729/8000); softphoned speaks PCMU (media.codecs)")
        #expect(answerError(SDPCorpus.pbx(formats: "9", rtpmap: "a=rtpmap:9 opus/48000/2"))
            == "no codec in common: the offer has payload types 9 (opus/48000/2); softphoned speaks opus, PCMU, PCMA, G722 (media.codecs)")
    }

    @Test(arguments: ["a=rtpmap:0 PCMU/8000", "a=rtpmap:0 pcmu/8000", "a=rtpmap:0 PCMU/8000/1", ""])
    func pcmuIsRecognisedWithOrWithoutAMatchingRtpmap(rtpmap: String) throws {
        let negotiated = try SDPNegotiator.answer(to: SDPCorpus.pbx(formats: "0", rtpmap: rtpmap), local: Self.local).negotiated
        #expect(negotiated.codec == .pcmu && negotiated.payloadType == 0)
    }

    @Test func opusParametersAreReadOnlyForOpus() throws {
        let offer = SDPCorpus.pbx(formats: "0", rtpmap: "a=fmtp:0 useinbandfec=1;usedtx=1;maxaveragebitrate=8000")
        let negotiated = try SDPNegotiator.answer(to: offer, local: Self.local).negotiated
        #expect(negotiated.codec == .pcmu)
        #expect(!negotiated.remoteWantsFEC && !negotiated.remotePrefersDTX && negotiated.remoteMaxAverageBitrate == nil)
    }

    @Test func dynamicPayloadTypesAreRecognisedByName() throws {
        let offer = SDPCorpus.minimal(formats: "98 99", extra: "a=rtpmap:98 PCMU/8000/2\na=rtpmap:99 pcma/8000")
        let negotiated = try SDPNegotiator.answer(to: offer, local: Self.local).negotiated
        #expect(negotiated.codec == .pcma)  // stereo PCMU is not the mono codec softphoned speaks
        #expect(negotiated.payloadType == 99)
    }

    @Test func noCodecInCommonNamesBothSides() {
        #expect(answerError(SDPCorpus.pbx(), local: Self.local([.opus]))
            == "no codec in common: the offer has payload types 0 8 101 (PCMU/8000, PCMA/8000, telephone-event/8000); softphoned speaks opus (media.codecs)")
    }

    // MARK: Offering

    @Test(arguments: [
        ([AudioCodec.opus, .pcmu, .pcma, .g722], true, ["111 opus/48000/2", "0 PCMU/8000", "8 PCMA/8000", "9 G722/8000",
                                                         "110 telephone-event/48000", "101 telephone-event/8000"]),
        ([.pcmu, .pcma], true, ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"]),
        ([.g722, .opus], true, ["9 G722/8000", "111 opus/48000/2", "101 telephone-event/8000", "110 telephone-event/48000"]),
        ([.opus], true, ["111 opus/48000/2", "110 telephone-event/48000"]),
        ([.opus, .pcmu], false, ["111 opus/48000/2", "0 PCMU/8000"]),
        ([.pcma, .pcma], false, ["8 PCMA/8000"]),
        ([], true, ["111 opus/48000/2", "110 telephone-event/48000"]),  // an m-line needs a format
    ])
    func offerListsOurCodecsThenTelephoneEventPerClock(codecs: [AudioCodec], telephoneEvents: Bool, rtpmaps: [String]) throws {
        let offer = try SDPParser.parse(SDPNegotiator.makeOffer(local: Self.local(codecs, telephoneEvents: telephoneEvents)).sdp)
        let audio = offer.media[0]
        #expect(audio.values(of: "rtpmap") == rtpmaps)
        #expect(audio.formats == rtpmaps.map { String($0.prefix { $0 != " " }) })
        let opus = rtpmaps.contains { $0.contains("opus") }
        let events = rtpmaps.filter { $0.contains("telephone-event") }.map { String($0.prefix { $0 != " " }) + " 0-16" }
        #expect(audio.values(of: "fmtp") == (opus ? ["111 minptime=10;useinbandfec=1"] : []) + events)
        #expect(audio.values(of: "ptime") == ["20"])
        #expect(audio.values(of: "maxptime") == (opus ? ["120"] : []))
    }

    @Test func telephoneEventsAvoidOurOpusPayloadType() throws {
        var local = Self.local
        local.payloadType = 110
        #expect(try SDPParser.parse(SDPNegotiator.makeOffer(local: local).sdp).media[0].formats == ["110", "0", "8", "9", "111", "101"])
        local.payloadType = 101
        #expect(try SDPParser.parse(SDPNegotiator.makeOffer(local: local).sdp).media[0].formats == ["101", "0", "8", "9", "110", "102"])
        local.payloadType = 127
        local.codecs = [.pcmu]
        #expect(try SDPParser.parse(SDPNegotiator.makeOffer(local: local).sdp).media[0].formats == ["0", "101"])
    }

    /// softphoned to softphoned with different codec lists: what one writes, the other reads,
    /// and both agree.
    @Test(arguments: [
        ([AudioCodec.opus, .pcma, .g722], true, [AudioCodec.g722, .pcma], true, AudioCodec.g722, UInt8(9), UInt8?.some(101)),
        ([.opus, .pcmu, .pcma, .g722], true, [.opus, .pcmu, .pcma, .g722], true, .opus, 111, 110),
        ([.pcmu, .opus], true, [.opus, .pcmu], true, .opus, 111, 110),
        ([.pcmu], false, [.opus, .pcmu, .pcma, .g722], true, .pcmu, 0, nil),
        ([.pcma, .pcmu], true, [.pcmu], false, .pcmu, 0, nil),
    ])
    func ourOfferAnswersItself(aliceCodecs: [AudioCodec], aliceEvents: Bool, bobCodecs: [AudioCodec], bobEvents: Bool,
                               codec: AudioCodec, payloadType: UInt8, telephoneEvent: UInt8?) throws {
        var alice = Self.local(aliceCodecs, telephoneEvents: aliceEvents)
        alice.address = "127.0.0.1"
        var bob = Self.local(bobCodecs, telephoneEvents: bobEvents)
        bob.address = "::1"
        let (offer, pending) = SDPNegotiator.makeOffer(local: alice)
        let (answer, bobSide) = try SDPNegotiator.answer(to: offer, local: bob)
        let aliceSide = try SDPNegotiator.complete(pending, withAnswer: answer)
        for side in [aliceSide, bobSide] {
            #expect(side.codec == codec)
            #expect(side.payloadType == payloadType)
            #expect(side.telephoneEventPayloadType == telephoneEvent)
        }
        #expect(bobSide.remoteKey == aliceSide.localKey)
    }

    // MARK: Completing our offer

    func complete(_ formats: String, _ rtpmaps: String = "", local: LocalMediaParameters = Self.local) throws(SDPError) -> NegotiatedMedia {
        let (_, pending) = SDPNegotiator.makeOffer(local: local)
        return try SDPNegotiator.complete(pending, withAnswer: SDPCorpus.minimal(formats: formats, extra: rtpmaps))
    }

    @Test func completeTakesTheAnswersCodec() throws {
        let pcma = try complete("8 101", "a=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15")
        #expect(pcma.codec == .pcma)
        #expect(pcma.payloadType == 8)
        #expect(pcma.telephoneEventPayloadType == 101)
        #expect(pcma.remoteKey.inlineKey == "inline:" + SDPCorpus.key80)
        // The first of our formats in the answer, wherever the events are; no rtpmap needed.
        let first = try complete("101 9 0")
        #expect(first.codec == .g722 && first.payloadType == 9 && first.telephoneEventPayloadType == 101)
        // Events at the other clock are not the codec's.
        let opus = try complete("111 101")
        #expect(opus.codec == .opus && opus.telephoneEventPayloadType == nil)
        // An answer that renumbers the events (RFC 3264 lets it): its rtpmap says what they are.
        let renumbered = try complete("0 96", "a=rtpmap:96 telephone-event/8000")
        #expect(renumbered.codec == .pcmu && renumbered.telephoneEventPayloadType == 96)
        // Our offer's numbering decides: 0 is PCMU as we offered it.
        #expect(try complete("0", "a=rtpmap:0 PCMU/8000").codec == .pcmu)
        // Events we did not offer (telephoneEvents off) are not used.
        #expect(try complete("8 101", local: Self.local([.pcma], telephoneEvents: false)).telephoneEventPayloadType == nil)
    }

    @Test func completeRefusesAnAnswerWithNoneOfOurCodecs() {
        #expect(throws: SDPError.self) { try complete("8", local: Self.local([.pcmu])) }
        do {
            _ = try complete("8 101", local: Self.local([.pcmu, .g722]))
            Issue.record("accepted an answer without our codecs")
        } catch {
            #expect(error.description
                == "the answer accepts none of the offered codecs (offered payload types 0 9: PCMU, G722; answered payload types 8 101)")
        }
    }

    // MARK: WebRTC

    static let webrtc = WebRTCLocalParameters(
        iceUfrag: "sfph", icePassword: "abcdefghijklmnopqrstuv",
        fingerprint: CertificateFingerprint(hashFunction: "sha-256", digest: [UInt8](repeating: 7, count: 32)),
        candidates: [], defaultAddress: "192.0.2.1", defaultPort: 30000, ssrc: 1, cname: "c")

    @Test func browserOfferAnsweredWithPCMUWhenThatIsAllWeSpeak() throws {
        let local = Self.local([.pcmu])
        let negotiation = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.chromeOffer, local: local)
        #expect(negotiation.media.codec == .pcmu)
        #expect(negotiation.media.payloadType == 0)
        #expect(negotiation.media.telephoneEventPayloadType == 126)
        #expect(!negotiation.media.remoteWantsFEC)  // Opus's fmtp is not PCMU's
        let answer = try SDPParser.parse(WebRTCNegotiator.answer(negotiation, offer: WebRTCCorpus.chromeOffer, local: local, webrtc: Self.webrtc))
        #expect(answer.media[0].formats == ["0", "126"])
        #expect(answer.media[0].values(of: "rtpmap") == ["0 PCMU/8000", "126 telephone-event/8000"])
        #expect(answer.media[0].values(of: "fmtp") == ["126 0-16"])

        let byDefault = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.chromeOffer, local: Self.local)
        #expect(byDefault.media.codec == .opus && byDefault.media.payloadType == 111 && byDefault.media.telephoneEventPayloadType == 110)
        // aiortc offers G.711 without telephone-event.
        let aiortc = try WebRTCNegotiator.inspectOffer(WebRTCCorpus.aiortcOffer, local: Self.local([.pcma]))
        #expect(aiortc.media.codec == .pcma && aiortc.media.payloadType == 8 && aiortc.media.telephoneEventPayloadType == nil)
    }

    @Test func webRTCCompleteTakesTheAnswersCodec() throws {
        let answer = WebRTCCorpus.chromeAnswer()
            .replacingOccurrences(of: "UDP/TLS/RTP/SAVPF 111", with: "UDP/TLS/RTP/SAVPF 8 101")
            .replacingOccurrences(of: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000")
        let negotiation = try WebRTCNegotiator.complete(offer: Self.local, withAnswer: answer)
        #expect(negotiation.media.codec == .pcma)
        #expect(negotiation.media.payloadType == 8)
        #expect(negotiation.media.telephoneEventPayloadType == 101)
        #expect(!negotiation.media.remoteWantsFEC)
    }

    @Test func webRTCOfferAnswersItselfWithOtherCodecs() throws {
        let alice = Self.local([.opus, .g722])
        let bob = Self.local([.g722, .opus])
        let offer = WebRTCNegotiator.makeOffer(local: alice, webrtc: Self.webrtc)
        let bobSide = try WebRTCNegotiator.inspectOffer(offer, local: bob)
        let answer = WebRTCNegotiator.answer(bobSide, offer: offer, local: bob, webrtc: Self.webrtc)
        let aliceSide = try WebRTCNegotiator.complete(offer: alice, withAnswer: answer)
        #expect(bobSide.media.codec == .g722 && aliceSide.media.codec == .g722)
        #expect(bobSide.media.payloadType == 9 && aliceSide.media.payloadType == 9)
        #expect(bobSide.media.telephoneEventPayloadType == 101 && aliceSide.media.telephoneEventPayloadType == 101)
    }
}
