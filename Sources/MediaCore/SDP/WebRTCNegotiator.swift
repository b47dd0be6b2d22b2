/// RFC 3264 offer/answer for softphoned's one audio stream over WebRTC's transport: Opus (or
/// G.711, G.722, as `local.codecs` prefers) and `telephone-event` in DTLS-SRTP (RFC
/// 5763/5764) over ICE (RFC 8839), rtcp-mux required, the audio alone in the BUNDLE group
/// (RFC 8843), as Chrome, aiortc and Janus write and expect it.
///
/// Answering takes two steps because the ICE agent's role must be set before it gathers:
/// `inspectOffer` decides everything from the offer, then `answer` writes the SDP once the
/// candidates are known. Offering is `makeOffer`, then `complete` with the peer's answer.
///
/// For a renegotiation in an established call pass the call's `WebRTCNegotiation` as
/// `established`: the DTLS roles stay as they are (RFC 8842 §5.5; Chrome's re-offers carry
/// its current `active`/`passive`), the ICE role stays unless the peer restarts ICE
/// (`iceRestart`), and softphoned's own credentials and fingerprint are the caller's to keep
/// in `WebRTCLocalParameters`.
public enum WebRTCNegotiator {
    /// The audio m-line's mid in softphoned's own offers.
    public static let offerMid = "0"

    /// Whether `sdp` is a WebRTC description: an audio m-line with `UDP/TLS/RTP/SAVPF` (or
    /// `UDP/TLS/RTP/SAVP`) and `a=fingerprint` and `a=ice-ufrag` on it or at session level.
    /// Anything else (SDES, unparseable text) goes to `SDPNegotiator`.
    public static func isWebRTC(_ sdp: String) -> Bool {
        guard let session = try? SDPParser.parse(sdp) else { return false }
        func present(_ name: String, _ media: MediaDescription) -> Bool {
            !media.values(of: name).isEmpty || !session.attributes.values(of: name).isEmpty
        }
        return session.media.contains {
            $0.media == "audio" && isDTLSProtocol($0.proto) && present("fingerprint", $0) && present("ice-ufrag", $0)
        }
    }

    /// Step 1 of answering: reads and checks the offer and decides the roles.
    ///
    /// DTLS: an `actpass` or `passive` offer makes softphoned the client (it answers
    /// `active`, so the handshake starts as soon as ICE has a pair), an `active` one the
    /// server; in a renegotiation the roles of `established` are kept. ICE: softphoned
    /// controls only when the peer is `a=ice-lite`. Serves the first usable audio m-line.
    /// - Throws: `SDPError` with a sentence saying what the offer lacks.
    public static func inspectOffer(_ sdp: String, local: LocalMediaParameters,
                                    established: WebRTCNegotiation? = nil) throws(SDPError) -> WebRTCNegotiation {
        let session = try SDPParser.parse(sdp)
        let (index, accepted) = try SDPNegotiator.firstUsableAudio(in: session) { media throws(SDPError) in
            try read(media, in: session, local: local, isOffer: true, established: established)
        }
        var negotiation = accepted
        negotiation.audioIndex = index
        negotiation.mid = negotiation.remote.mid
        return negotiation
    }

    /// Step 2 of answering: the answer's text, once the ICE agent has gathered.
    ///
    /// Every m-line of the offer is answered: the audio one with the chosen codec (and its
    /// telephone-event), ICE and DTLS attributes and no extension softphoned does not
    /// implement (no extmap, rtcp-fb, red, rtcp-rsize); every other one with port 0, its mid
    /// and its proto, outside the BUNDLE group. The group is written only when the offer bundles the audio (RFC 8843 §7.3.1).
    public static func answer(_ negotiation: WebRTCNegotiation, offer: String, local: LocalMediaParameters,
                              webrtc: WebRTCLocalParameters) -> String {
        // `inspectOffer` parsed the same text; should a caller pass another, the audio alone is answered.
        let session = try? SDPParser.parse(offer)
        let offered = session?.media ?? []
        let bundled = session?.attributes.values(of: "group").contains { group in
            let tags = group.split(separator: " ")
            return tags.first?.uppercased() == "BUNDLE" && tags.dropFirst().contains { String($0) == negotiation.mid }
        } ?? false
        let audioProto = offered.indices.contains(negotiation.audioIndex) ? offered[negotiation.audioIndex].proto : "UDP/TLS/RTP/SAVPF"
        let audio = audioDescription(local: local, webrtc: webrtc, proto: audioProto, formats: negotiation.media.formats,
                                     direction: negotiation.media.direction, setup: negotiation.role.setup, mid: negotiation.mid)
        var answer = sessionDescription(local: local, webrtc: webrtc, bundle: bundled ? negotiation.mid : nil)
        if offered.indices.contains(negotiation.audioIndex) {
            answer.media = offered.enumerated().map { $0.offset == negotiation.audioIndex ? audio : SDPNegotiator.declined($0.element) }
        } else {
            answer.media = [audio]
        }
        return SDPWriter.write(answer)
    }

    /// Softphoned's offer: one audio m-line, mid "0" alone in the BUNDLE group,
    /// `a=setup:actpass` — or, in a re-offer (`established`), the call's mid and the `setup`
    /// of softphoned's DTLS role (RFC 8842 §5.5).
    public static func makeOffer(local: LocalMediaParameters, webrtc: WebRTCLocalParameters,
                                 established: WebRTCNegotiation? = nil) -> String {
        let mid = established.map { $0.mid ?? offerMid } ?? offerMid
        var offer = sessionDescription(local: local, webrtc: webrtc, bundle: mid)
        offer.media = [audioDescription(local: local, webrtc: webrtc, proto: "UDP/TLS/RTP/SAVPF", formats: local.offerFormats,
                                        direction: local.direction, setup: established?.role.setup ?? .actpass, mid: mid)]
        return SDPWriter.write(offer)
    }

    /// Completes an exchange softphoned started with `makeOffer`: `active` in the answer
    /// leaves softphoned the DTLS server, `passive` makes it the client; softphoned controls
    /// ICE (it offered), unless `established` says otherwise and ICE is not restarted.
    /// - Throws: `SDPError` when the answer declines the audio, does not match the offer,
    ///   answers `actpass`/`holdconn`, or lacks what WebRTC needs.
    public static func complete(offer local: LocalMediaParameters, withAnswer answerText: String,
                                established: WebRTCNegotiation? = nil) throws(SDPError) -> WebRTCNegotiation {
        let session = try SDPParser.parse(answerText)
        guard let media = session.media.first(where: { $0.media == "audio" }) else { throw SDPError(.noAudio) }
        guard media.port != 0 else { throw SDPError(.audioDeclined) }
        var negotiation = try read(media, in: session, local: local, isOffer: false, established: established)
        negotiation.audioIndex = 0
        negotiation.mid = established.map { $0.mid ?? offerMid } ?? offerMid
        return negotiation
    }

    // MARK: - Reading the peer's audio m-line

    static func isDTLSProtocol(_ proto: String) -> Bool {
        let upper = proto.uppercased()
        return upper == "UDP/TLS/RTP/SAVPF" || upper == "UDP/TLS/RTP/SAVP"
    }

    /// Checks one audio m-line of the peer's offer (`isOffer`) or answer and agrees on it.
    private static func read(_ media: MediaDescription, in session: SessionDescription, local: LocalMediaParameters,
                             isOffer: Bool, established: WebRTCNegotiation?) throws(SDPError) -> WebRTCNegotiation {
        guard isDTLSProtocol(media.proto) else { throw SDPError(.notWebRTC(media.proto)) }
        let choice = isOffer ? try SDPNegotiator.chooseCodec(offered: media, local: local)
                             : try SDPNegotiator.answeredCodec(media, local: local)
        guard media.has("rtcp-mux") else { throw SDPError(.noRTCPMux) }
        // RFC 4145 §4: a missing a=setup is `active` in an offer and `passive` in an answer.
        let remote = try WebRTCRemoteParameters(media, in: session, defaultSetup: isOffer ? .active : .passive)

        let role: DTLSRole
        switch remote.setup {
        case .holdconn: throw SDPError(.holdconn)
        case .actpass:
            guard isOffer else { throw SDPError(.answerActpass) }
            role = established?.role ?? .client
        case .active: role = .server
        case .passive: role = .client
        }
        var iceRestart = false
        if let established {
            guard role == established.role else {
                throw SDPError(.setupConflict(written: remote.setup, role: established.role, writer: isOffer ? "re-offer" : "answer"))
            }
            let known = established.remote.fingerprints
            guard remote.fingerprints.contains(where: { new in known.contains { new.namesSameCertificate(as: $0) } }) else {
                throw SDPError(.fingerprintChanged)
            }
            iceRestart = remote.iceUfrag != established.remote.iceUfrag || remote.icePassword != established.remote.icePassword
        }
        // RFC 8445 §6.1.1: the offerer controls unless it is lite; roles survive until an ICE restart.
        let iceControlling = established.flatMap { iceRestart ? nil : $0.iceControlling } ?? (isOffer ? remote.iceLite : true)

        let peerDirection = media.direction ?? session.direction ?? .sendrecv
        var audio = SDPNegotiator.agreement(media, choice: choice, peerDirection: peerDirection, local: local)
        audio.remoteOrigin = session.origin
        return WebRTCNegotiation(media: audio, remote: remote, role: role, iceControlling: iceControlling,
                                 mid: remote.mid, iceRestart: iceRestart)
    }

    // MARK: - Writing

    /// The session level: BUNDLE with the audio's mid alone, and the stream of `a=msid`.
    private static func sessionDescription(local: LocalMediaParameters, webrtc: WebRTCLocalParameters,
                                           bundle mid: String?) -> SessionDescription {
        var description = SDPNegotiator.baseDescription(local: local, address: webrtc.defaultEndpoint.host)
        if let mid { description.attributes.append(.init("group", "BUNDLE \(mid)")) }
        description.attributes.append(.init("msid-semantic", " WMS \(webrtc.streamID)"))
        return description
    }

    private static func audioDescription(local: LocalMediaParameters, webrtc: WebRTCLocalParameters, proto: String,
                                         formats: [PayloadFormat], direction: MediaDirection, setup: DTLSSetup,
                                         mid: String?) -> MediaDescription {
        let endpoint = webrtc.defaultEndpoint
        var media = SDPNegotiator.audioDescription(
            local: local, endpoint: endpoint, proto: proto, formats: formats, direction: direction,
            rtcpMux: true, rtcpAddress: true, transport: webrtc.attributes(setup: setup))
        media.connection = .init(address: endpoint.host)
        if let mid { media.attributes.insert(.init("mid", mid), at: 0) }
        return media
    }
}
