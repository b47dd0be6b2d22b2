import Foundation

/// RFC 3264 offer/answer for softphoned's one audio stream: Opus, G.711 or G.722 (and RFC 4733
/// `telephone-event`) over SRTP with SDES keys (RFC 4568), rtcp-mux (RFC 5761) and the
/// direction rules of RFC 3264 §6.1.
///
/// Each side's `a=crypto` key is the one that side sends with: an answer carries the
/// answerer's own fresh key under the tag of the offered line it accepts.
public enum SDPNegotiator {
    /// Answers a peer's offer.
    ///
    /// Serves the first usable audio m-line; every other m-line (video, data, further audio)
    /// is declined with port 0 so the answer has as many m-lines as the offer.
    /// - Returns: the answer's text and what was agreed.
    /// - Throws: `SDPError` saying why the offer cannot be served.
    public static func answer(to offer: String, local: LocalMediaParameters) throws(SDPError) -> (sdp: String, negotiated: NegotiatedMedia) {
        let session = try SDPParser.parse(offer)
        let (index, accepted) = try firstUsableAudio(in: session) { media throws(SDPError) in
            try acceptOfferedAudio(media, in: session, local: local)
        }
        var chosen = accepted
        chosen.negotiated.remoteOrigin = session.origin

        var answer = baseDescription(local: local, address: local.address)
        for (offeredIndex, offered) in session.media.enumerated() {
            guard offeredIndex == index else {
                answer.media.append(declined(offered))
                continue
            }
            var media = audioDescription(
                local: local, endpoint: MediaEndpoint(host: local.address, port: local.port), proto: offered.proto,
                formats: chosen.negotiated.audio.formats, direction: chosen.negotiated.direction,
                rtcpMux: chosen.negotiated.rtcpMux,
                transport: [.init("crypto", CryptoAttribute(tag: chosen.tag, key: chosen.negotiated.localKey).value)])
            media.insertMid(of: offered)
            answer.media.append(media)
        }
        return (SDPWriter.write(answer), chosen.negotiated)
    }

    /// Builds an offer with one audio m-line (`local.codecs` in order, then `telephone-event`
    /// per clock) and one `a=crypto` line per local suite, each with its own sending key.
    /// - Returns: the offer's text and what `complete(_:withAnswer:)` needs later.
    public static func makeOffer(local: LocalMediaParameters) -> (sdp: String, pending: PendingOffer) {
        let keys = local.suites.map { local.sendingKey(for: $0) }
        var offer = baseDescription(local: local, address: local.address)
        offer.media.append(audioDescription(
            local: local, endpoint: MediaEndpoint(host: local.address, port: local.port), proto: "RTP/SAVP",
            formats: local.offerFormats, direction: local.direction, rtcpMux: true,
            transport: keys.enumerated().map { .init("crypto", CryptoAttribute(tag: $0.offset + 1, key: $0.element).value) }))
        return (SDPWriter.write(offer), PendingOffer(local: local, offeredKeys: keys))
    }

    /// Completes an exchange softphoned started with `makeOffer(local:)`.
    /// - Throws: `SDPError` when the answer declines the audio or does not match the offer.
    public static func complete(_ pending: PendingOffer, withAnswer answerText: String) throws(SDPError) -> NegotiatedMedia {
        let session = try SDPParser.parse(answerText)
        guard let media = session.media.first(where: { $0.media == "audio" }) else { throw SDPError(.noAudio) }
        guard media.port != 0 else { throw SDPError(.audioDeclined) }
        try checkTransport(media.proto)

        let local = pending.local
        let choice = try answeredCodec(media, local: local)

        let lines = cryptoLines(media, in: session)
        guard !lines.isEmpty else { throw SDPError(.noCrypto) }
        guard lines.count == 1 else { throw SDPError(.answerCryptoCount(lines.count)) }
        guard let crypto = CryptoAttribute(lines[0]) else { throw SDPError(.malformedCrypto(lines[0])) }
        guard let localKey = pending.key(tag: crypto.tag) else {
            let tags = pending.offeredKeys.indices.map { String($0 + 1) }.joined(separator: ", ")
            throw SDPError(.answerCryptoMismatch("tag \(crypto.tag) was not offered (offered tags \(tags))"))
        }
        guard crypto.suite == localKey.suite else {
            throw SDPError(.answerCryptoMismatch(
                "tag \(crypto.tag) was offered as \(localKey.suite.rawValue) but answered as \(crypto.suiteName)"))
        }
        if let feature = crypto.unsupportedFeature {
            throw SDPError(.answerCryptoMismatch("tag \(crypto.tag) is answered \(feature), which softphoned does not support"))
        }
        let remoteKey = try crypto.masterKey(suite: localKey.suite)
        let remote = try remoteTransport(media, in: session)
        let answered = remote.direction(media, session)
        var audio = agreement(media, choice: choice, peerDirection: answered, local: local)
        audio.remoteOrigin = session.origin
        return NegotiatedMedia(remote: remote.rtp, remoteRTCP: remote.rtcp, rtcpMux: remote.mux, suite: localKey.suite,
                               remoteKey: remoteKey, localKey: localKey, audio: audio)
    }

    // MARK: - Answering

    /// Checks one offered audio m-line and agrees on it.
    /// - Returns: the agreement and the tag of the accepted `a=crypto` line.
    private static func acceptOfferedAudio(_ media: MediaDescription, in session: SessionDescription,
                                           local: LocalMediaParameters) throws(SDPError) -> (negotiated: NegotiatedMedia, tag: Int) {
        try checkTransport(media.proto)
        let choice = try chooseCodec(offered: media, local: local)
        let remote = try remoteTransport(media, in: session)

        let lines = cryptoLines(media, in: session)
        guard !lines.isEmpty else { throw SDPError(.noCrypto) }
        var offered: [String] = []
        var accepted: (crypto: CryptoAttribute, suite: SRTPSuite)?
        for line in lines {
            guard let crypto = CryptoAttribute(line) else { throw SDPError(.malformedCrypto(line)) }
            if let suite = crypto.suite, local.suites.contains(suite), crypto.unsupportedFeature == nil {
                accepted = (crypto, suite)
                break
            }
            offered.append(crypto.unsupportedFeature.map { "\(crypto.suiteName) \($0)" } ?? crypto.suiteName)
        }
        guard let accepted else { throw SDPError(.noSupportedCrypto(offered: offered, supported: local.suites)) }
        let remoteKey = try accepted.crypto.masterKey(suite: accepted.suite)

        let audio = agreement(media, choice: choice, peerDirection: remote.direction(media, session), local: local)
        let negotiated = NegotiatedMedia(
            remote: remote.rtp, remoteRTCP: remote.rtcp, rtcpMux: remote.mux, suite: accepted.suite, remoteKey: remoteKey,
            localKey: local.sendingKey(for: accepted.suite), audio: audio)
        return (negotiated, accepted.crypto.tag)
    }

    // MARK: - Reading the peer's audio m-line

    /// The SRTP-with-SDES transports; AVPF feedback is harmless (softphoned sends none).
    /// DTLS-SRTP is `WebRTCNegotiator`'s: the daemon routes offers it recognises there.
    private static func checkTransport(_ proto: String) throws(SDPError) {
        let upper = proto.uppercased()
        if upper == "RTP/SAVP" || upper == "RTP/SAVPF" { return }
        if upper.contains("TLS") { throw SDPError(.dtls(proto)) }
        if upper == "RTP/AVP" || upper == "RTP/AVPF" { throw SDPError(.plainRTP(proto)) }
        throw SDPError(.unsupportedProtocol(proto))
    }

    /// Where the peer receives RTP and RTCP.
    private struct RemoteTransport {
        var rtp: MediaEndpoint
        var rtcp: MediaEndpoint
        var mux: Bool

        /// The peer's direction: media level over session level over `sendrecv`. A peer that
        /// gives the unspecified address (RFC 2543 hold) receives nothing.
        func direction(_ media: MediaDescription, _ session: SessionDescription) -> MediaDirection {
            let written = media.direction ?? session.direction ?? .sendrecv
            return rtp.isUnspecified ? written.intersection(.sendonly) : written
        }
    }

    private static func remoteTransport(_ media: MediaDescription, in session: SessionDescription) throws(SDPError) -> RemoteTransport {
        guard let connection = media.connection ?? session.connection else { throw SDPError(.noConnection) }
        let host = try numericHost(connection)
        let rtp = MediaEndpoint(host: host, port: UInt16(media.port))
        if media.has("rtcp-mux") { return RemoteTransport(rtp: rtp, rtcp: rtp, mux: true) }
        var rtcp = MediaEndpoint(host: host, port: media.port < 65535 ? UInt16(media.port + 1) : UInt16(media.port))
        // RFC 3605: a=rtcp:<port> [IN IP4|IP6 <address>]
        if let value = media.values(of: "rtcp").first {
            let fields = value.split(separator: " ").map(String.init)
            if let first = fields.first, let port = UInt16(first), port != 0 { rtcp.port = port }
            if fields.count == 4 {
                rtcp.host = try numericHost(.init(networkType: fields[1], addressType: fields[2].uppercased(), address: fields[3]))
            }
        }
        return RemoteTransport(rtp: rtp, rtcp: rtcp, mux: false)
    }

    /// The address of a `c=` line, which must be numeric: the media path resolves no names.
    /// The check is as strict as the socket layer's, so a negotiated address can always be used.
    private static func numericHost(_ connection: SessionDescription.Connection) throws(SDPError) -> String {
        let address = connection.address
        let error = SDPError(.unsupportedAddress(addressType: connection.addressType, address: address))
        guard connection.networkType.uppercased() == "IN" else { throw error }
        switch connection.addressType {
        case "IP4":
            guard IPAddressLiteral.isIPv4(address) else { throw error }
        case "IP6":
            guard IPAddressLiteral.isIPv6(address) else { throw error }
        default:
            throw error
        }
        return address
    }

    /// The `a=crypto` values of the m-line, or of the session when the m-line has none.
    private static func cryptoLines(_ media: MediaDescription, in session: SessionDescription) -> [String] {
        let lines = media.values(of: "crypto")
        return lines.isEmpty ? session.attributes.values(of: "crypto") : lines
    }

    // MARK: - Shared with WebRTCNegotiator

    /// Serves the first audio m-line (port not 0) that `accept` takes.
    /// - Returns: its index in the description and what `accept` made of it.
    /// - Throws: the first line's error when none is taken, so the message names a real problem.
    static func firstUsableAudio<Accepted>(
        in session: SessionDescription, _ accept: (MediaDescription) throws(SDPError) -> Accepted
    ) throws(SDPError) -> (index: Int, accepted: Accepted) {
        let audioIndices = session.media.indices.filter { session.media[$0].media == "audio" }
        guard !audioIndices.isEmpty else { throw SDPError(.noAudio) }
        var firstError: SDPError?
        for index in audioIndices where session.media[index].port != 0 {
            do {
                return (index, try accept(session.media[index]))
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? SDPError(.audioDeclined)
    }

    /// The agreement on `choice` with a peer that wrote `media` with the direction
    /// `peerDirection`. The Opus parameters are read only for Opus: another codec's `a=fmtp`
    /// means something else.
    static func agreement(_ media: MediaDescription, choice: CodecChoice, peerDirection: MediaDirection,
                          local: LocalMediaParameters) -> NegotiatedAudio {
        let parameters = choice.codec == .opus ? media.formatParameters(for: String(choice.payloadType)) : [:]
        return NegotiatedAudio(
            payloadType: choice.payloadType, direction: peerDirection.reversed.intersection(local.direction),
            remoteWantsFEC: parameters["useinbandfec"] == "1", remotePrefersDTX: parameters["usedtx"] == "1",
            remotePtime: media.values(of: "ptime").first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) },
            remoteMaxAverageBitrate: parameters["maxaveragebitrate"].flatMap { Int($0) }, ptime: local.ptime,
            codec: choice.codec, telephoneEventPayloadType: choice.telephoneEventPayloadType)
    }

    /// `v=`, `o=`, `s=`, `c=` and `t=` of softphoned's descriptions.
    static func baseDescription(local: LocalMediaParameters, address: String) -> SessionDescription {
        let connection = SessionDescription.Connection(address: address)
        return SessionDescription(
            origin: .init(username: "softphoned", sessionID: String(local.sessionID), sessionVersion: String(local.sessionVersion),
                          addressType: connection.addressType, address: address),
            sessionName: "-", connection: connection, timing: "0 0")
    }

    /// Softphoned's audio m-line: `formats` (an offer's codecs and telephone-events, or an
    /// answer's choice) with their `a=rtpmap` and `a=fmtp` as `local` wants them, then
    /// `transport` (the SDES `a=crypto` lines, or WebRTC's ICE and DTLS attributes).
    static func audioDescription(local: LocalMediaParameters, endpoint: MediaEndpoint, proto: String, formats: [PayloadFormat],
                                 direction: MediaDirection, rtcpMux: Bool, rtcpAddress: Bool = false,
                                 transport: [SessionDescription.Attribute]) -> MediaDescription {
        let connection = SessionDescription.Connection(address: endpoint.host)
        var attributes: [SessionDescription.Attribute] = []
        for format in formats {
            // Static payload types get an a=rtpmap too: RFC 8866 §6.6 allows it and some peers look for it.
            attributes.append(.init("rtpmap", format.rtpmap))
            if let fmtp = format.formatParameters(local: local) { attributes.append(.init("fmtp", "\(format.payloadType) \(fmtp)")) }
        }
        attributes.append(.init("ptime", String(local.ptime)))
        // Playback takes any Opus packet duration (RFC 7587 §7: up to 120 ms).
        if formats.contains(where: { $0.codec == .opus }) { attributes.append(.init("maxptime", "120")) }
        // RFC 5761 §5.1.1: a=rtcp names the shared port for peers that do not multiplex
        // (RFC 3605's address form for WebRTC peers, which expect it).
        attributes.append(.init("rtcp", rtcpAddress
            ? "\(endpoint.port) \(connection.networkType) \(connection.addressType) \(endpoint.host)"
            : String(endpoint.port)))
        if rtcpMux { attributes.append(.init("rtcp-mux")) }
        attributes.append(.init(direction.rawValue))
        attributes += transport
        // Answer with the offered profile (RTP/SAVPF stays SAVPF), else plain RTP/SAVP.
        return MediaDescription(media: "audio", port: Int(endpoint.port), proto: proto,
                                formats: formats.map { String($0.payloadType) }, attributes: attributes)
    }

    /// An offered m-line softphoned does not serve, refused with port 0 (RFC 3264 §6) and
    /// its own mid, so the answer has as many m-lines as the offer.
    static func declined(_ offered: MediaDescription) -> MediaDescription {
        var media = MediaDescription(media: offered.media, port: 0, proto: offered.proto, formats: offered.formats)
        media.insertMid(of: offered)
        return media
    }
}

extension MediaDescription {
    /// Unified-plan peers match answer sections to offer sections by mid.
    mutating func insertMid(of offered: MediaDescription) {
        if let mid = offered.values(of: "mid").first { attributes.insert(.init("mid", mid), at: 0) }
    }
}
