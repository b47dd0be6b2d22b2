import Foundation

/// RFC 3264 offer/answer for softphoned's one audio stream: Opus over SRTP with SDES keys
/// (RFC 4568), rtcp-mux (RFC 5761) and the direction rules of RFC 3264 §6.1.
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
        let audioIndices = session.media.indices.filter { session.media[$0].media == "audio" }
        guard !audioIndices.isEmpty else { throw SDPError(.noAudio) }

        var firstError: SDPError?
        var chosen: (index: Int, negotiated: NegotiatedMedia, tag: Int)?
        for index in audioIndices where session.media[index].port != 0 {
            do {
                let result = try acceptOfferedAudio(session.media[index], in: session, local: local)
                chosen = (index, result.negotiated, result.tag)
                break
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        guard var chosen else { throw firstError ?? SDPError(.audioDeclined) }
        chosen.negotiated.remoteOrigin = session.origin

        var answer = baseDescription(local: local)
        for (index, offered) in session.media.enumerated() {
            var media: MediaDescription
            if index == chosen.index {
                media = audioDescription(local: local, proto: offered.proto, payloadType: chosen.negotiated.payloadType,
                                         direction: chosen.negotiated.direction, rtcpMux: chosen.negotiated.rtcpMux,
                                         crypto: [CryptoAttribute(tag: chosen.tag, key: chosen.negotiated.localKey)])
            } else {
                media = MediaDescription(media: offered.media, port: 0, proto: offered.proto, formats: offered.formats)
            }
            // Unified-plan peers match answer sections to offer sections by mid.
            if let mid = offered.values(of: "mid").first { media.attributes.insert(.init("mid", mid), at: 0) }
            answer.media.append(media)
        }
        return (SDPWriter.write(answer), chosen.negotiated)
    }

    /// Builds an offer with one audio m-line and one `a=crypto` line per local suite, each
    /// with its own sending key.
    /// - Returns: the offer's text and what `complete(_:withAnswer:)` needs later.
    public static func makeOffer(local: LocalMediaParameters) -> (sdp: String, pending: PendingOffer) {
        let keys = local.suites.map { local.sendingKey(for: $0) }
        var offer = baseDescription(local: local)
        offer.media.append(audioDescription(
            local: local, proto: "RTP/SAVP", payloadType: local.payloadType, direction: local.direction, rtcpMux: true,
            crypto: keys.enumerated().map { CryptoAttribute(tag: $0.offset + 1, key: $0.element) }))
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
        guard media.formats.contains(String(local.payloadType)) else {
            throw SDPError(.answerRejectedOpus(payloadType: local.payloadType, answered: media.formats))
        }

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
        var negotiated = NegotiatedMedia(
            remote: remote.rtp, remoteRTCP: remote.rtcp, rtcpMux: remote.mux, payloadType: local.payloadType,
            suite: localKey.suite, remoteKey: remoteKey, localKey: localKey,
            direction: answered.reversed.intersection(local.direction),
            remoteWantsFEC: opusFlag(media, payloadType: String(local.payloadType), "useinbandfec"),
            remotePrefersDTX: opusFlag(media, payloadType: String(local.payloadType), "usedtx"),
            remotePtime: ptime(media), remoteMaxAverageBitrate: maxAverageBitrate(media, payloadType: String(local.payloadType)),
            ptime: local.ptime)
        negotiated.remoteOrigin = session.origin
        return negotiated
    }

    // MARK: - Answering

    /// Checks one offered audio m-line and agrees on it.
    /// - Returns: the agreement and the tag of the accepted `a=crypto` line.
    private static func acceptOfferedAudio(_ media: MediaDescription, in session: SessionDescription,
                                           local: LocalMediaParameters) throws(SDPError) -> (negotiated: NegotiatedMedia, tag: Int) {
        try checkTransport(media.proto)
        guard let payloadType = media.formats.first(where: { media.rtpmap(for: $0)?.isOpus == true }),
              let payloadTypeValue = UInt8(payloadType), payloadTypeValue < 128 else {
            throw SDPError(.noOpus(payloadTypes: media.formats))
        }
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

        let offeredDirection = remote.direction(media, session)
        let negotiated = NegotiatedMedia(
            remote: remote.rtp, remoteRTCP: remote.rtcp, rtcpMux: remote.mux, payloadType: payloadTypeValue,
            suite: accepted.suite, remoteKey: remoteKey, localKey: local.sendingKey(for: accepted.suite),
            direction: offeredDirection.reversed.intersection(local.direction),
            remoteWantsFEC: opusFlag(media, payloadType: payloadType, "useinbandfec"),
            remotePrefersDTX: opusFlag(media, payloadType: payloadType, "usedtx"),
            remotePtime: ptime(media), remoteMaxAverageBitrate: maxAverageBitrate(media, payloadType: payloadType),
            ptime: local.ptime)
        return (negotiated, accepted.crypto.tag)
    }

    // MARK: - Reading the peer's audio m-line

    /// The SRTP-with-SDES transports; AVPF feedback is harmless (softphoned sends none).
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
    private static func numericHost(_ connection: SessionDescription.Connection) throws(SDPError) -> String {
        let address = connection.address
        let error = SDPError(.unsupportedAddress(addressType: connection.addressType, address: address))
        guard connection.networkType.uppercased() == "IN" else { throw error }
        switch connection.addressType {
        case "IP4":
            let parts = address.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII)
                && UInt8($0) != nil }) else { throw error }
        case "IP6":
            let allowed = Set("0123456789abcdefABCDEF:.")
            guard address.contains(":"), address.count <= 45, address.allSatisfy({ allowed.contains($0) }) else { throw error }
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

    private static func opusFlag(_ media: MediaDescription, payloadType: String, _ name: String) -> Bool {
        media.formatParameters(for: payloadType)[name] == "1"
    }

    private static func maxAverageBitrate(_ media: MediaDescription, payloadType: String) -> Int? {
        media.formatParameters(for: payloadType)["maxaveragebitrate"].flatMap { Int($0) }
    }

    private static func ptime(_ media: MediaDescription) -> Int? {
        media.values(of: "ptime").first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    // MARK: - Writing

    private static func baseDescription(local: LocalMediaParameters) -> SessionDescription {
        let connection = SessionDescription.Connection(address: local.address)
        return SessionDescription(
            origin: .init(username: "softphoned", sessionID: String(local.sessionID), sessionVersion: String(local.sessionVersion),
                          addressType: connection.addressType, address: local.address),
            sessionName: "-", connection: connection, timing: "0 0")
    }

    private static func audioDescription(local: LocalMediaParameters, proto: String, payloadType: UInt8, direction: MediaDirection,
                                         rtcpMux: Bool, crypto: [CryptoAttribute]) -> MediaDescription {
        let pt = String(payloadType)
        var fmtp = "minptime=10"
        if local.fec { fmtp += ";useinbandfec=1" }
        if local.dtx { fmtp += ";usedtx=1" }
        var attributes: [SessionDescription.Attribute] = [
            .init("rtpmap", "\(pt) opus/48000/2"),
            .init("fmtp", "\(pt) \(fmtp)"),
            .init("ptime", String(local.ptime)),
            // RFC 5761 §5.1.1: a=rtcp names the shared port for peers that do not multiplex.
            .init("rtcp", String(local.port)),
        ]
        if rtcpMux { attributes.append(.init("rtcp-mux")) }
        attributes.append(.init(direction.rawValue))
        attributes += crypto.map { .init("crypto", $0.value) }
        // Answer with the offered profile (RTP/SAVPF stays SAVPF), else plain RTP/SAVP.
        return MediaDescription(media: "audio", port: Int(local.port), proto: proto, formats: [pt], attributes: attributes)
    }
}
