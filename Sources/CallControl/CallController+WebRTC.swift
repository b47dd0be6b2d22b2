import Foundation
import Logging
import MediaCore
import MediaEngine

/// WebRTC calls (SPEC §2b): ICE and DTLS-SRTP on a `WebRTCTransport`, SDP by `WebRTCNegotiator`.
///
/// Vanilla ICE: the transport gathers before the SDP is written, so the offer or answer
/// carries every candidate. The media is keyed `.dtls`: no SRTP session exists until the
/// handshake hands its keys to the media threads. The mute state is untouched by all of it:
/// the media threads gate exactly as for SDES, and `disable` sends no RTP while libnice keeps
/// consent fresh.
extension CallController {
    /// Our WebRTC offer: gathers, then writes an `actpass` offer. The transport waits as DTLS
    /// server, so a ClientHello that beats the answer is served.
    func offerWebRTC(id: CallID) async throws(CallError) -> CallDescription {
        setState(.preparing(id))
        let transport: WebRTCTransport, local: LocalMediaParameters, parameters: WebRTCLocalParameters
        do {
            transport = try makeTransport(controlling: true, dtlsClient: false)
            (local, parameters) = try await gather(transport)
        } catch {
            setState(.idle)
            throw error
        }
        let sdp = WebRTCNegotiator.makeOffer(local: local, webrtc: parameters)
        setState(.calling(id, .webrtc(WebRTCCall(transport: transport, local: local, parameters: parameters, negotiation: nil))))
        return CallDescription(id: id, sdp: sdp)
    }

    /// The answer to our WebRTC offer. A bad answer leaves the offer pending.
    func answerWebRTC(id: CallID, _ offered: WebRTCCall, sdp: String, context: PlatformCallContext) async throws(CallError) -> CallSummary {
        var call = offered
        let negotiation: WebRTCNegotiation
        do { negotiation = try WebRTCNegotiator.complete(offer: call.local, withAnswer: sdp) } catch { throw .badSDP(error.description) }
        if negotiation.role == .client {
            setState(.preparing(id))
            guard await call.transport.becomeDTLSClient() else {
                setState(.calling(id, .webrtc(offered)))
                throw .badSDP("a=setup:passive, but the far end has already begun the DTLS handshake as client")
            }
        }
        call.negotiation = negotiation
        return try beginWebRTC(id: id, call, context: context)
    }

    /// Answers a WebRTC offer: roles from the offer, gathering, then the answer; `ringing`
    /// until `startMedia`.
    func prepareWebRTCAnswer(id: CallID, negotiation: WebRTCNegotiation, offer sdp: String,
                             context: PlatformCallContext) async throws(CallError) -> CallDescription {
        setState(.preparing(id))
        let transport: WebRTCTransport, local: LocalMediaParameters, parameters: WebRTCLocalParameters
        do {
            transport = try makeTransport(controlling: negotiation.iceControlling, dtlsClient: negotiation.role == .client)
            (local, parameters) = try await gather(transport)
        } catch {
            setState(.idle)
            throw error
        }
        let answer = WebRTCNegotiator.answer(negotiation, offer: sdp, local: local, webrtc: parameters)
        let call = WebRTCCall(transport: transport, local: local, parameters: parameters, negotiation: negotiation)
        setState(.ringing(id, .webrtc(call), context))
        return CallDescription(id: id, sdp: answer)
    }

    /// A re-offer in a WebRTC call: hold and resume change the direction; the DTLS
    /// association, keys and ICE credentials stay unless the peer restarts ICE, and then
    /// only ICE restarts. Never a new call, never a mute change.
    func renegotiateWebRTC(_ call: Call, offer sdp: String) throws(CallError) -> String {
        guard case .webrtc(var webrtc) = call.transport, let established = webrtc.negotiation else {
            throw .callAlreadyActive("an SDES call is active; hang it up before accepting a WebRTC offer")
        }
        let negotiation: WebRTCNegotiation
        do { negotiation = try WebRTCNegotiator.inspectOffer(sdp, local: webrtc.local, established: established) } catch {
            throw .badSDP(error.description)
        }
        try checkSameSession(known: established.media.remoteOrigin, offered: negotiation.media.remoteOrigin)
        if negotiation.iceRestart {
            let ice = webrtc.transport.restartICE()
            webrtc.parameters.iceUfrag = ice.ufrag
            webrtc.parameters.icePassword = ice.password
            webrtc.parameters.candidates = ice.candidates
            applyRemote(negotiation.remote, to: webrtc.transport)
        }
        webrtc.local.sessionVersion += 1
        let answer = WebRTCNegotiator.answer(negotiation, offer: sdp, local: webrtc.local, webrtc: webrtc.parameters)
        if negotiation.media.payloadType != established.media.payloadType || negotiation.media.codec != established.media.codec
            || negotiation.media.telephoneEventPayloadType != established.media.telephoneEventPayloadType {
            var target = MediaTarget(remote: call.media.configuration.remote, payloadType: negotiation.media.payloadType,
                                     telephoneEventPayloadType: negotiation.media.telephoneEventPayloadType)
            if negotiation.media.codec != established.media.codec { try switchCodec(&target, to: negotiation.media) }
            guard call.media.retarget(target) else {
                throw .internalError("the call's media threads are not taking commands (the audio device is stuck); the offer is not applied")
            }
        }
        if negotiation.media.direction.sends != established.media.direction.sends { call.media.setSending(negotiation.media.direction.sends) }
        webrtc.negotiation = negotiation
        var updated = call
        updated.transport = .webrtc(webrtc)
        updated.summary.direction = negotiation.media.direction
        updated.summary.codec = negotiation.media.codec
        setState(.running(updated))
        snapshot.set(updated.summary, media: updated.media, webrtc: webrtc.transport)
        logger.info("WebRTC call renegotiated", metadata: [
            "direction": "\(negotiation.media.direction.rawValue)", "iceRestart": "\(negotiation.iceRestart)",
        ])
        return answer
    }

    /// What the transport reports, for the call it belongs to.
    func handleTransport(_ event: WebRTCTransportEvent, transport: ObjectIdentifier) {
        guard let call = state.call, let webrtc = call.transport.webrtcTransport, ObjectIdentifier(webrtc) == transport else { return }
        let status = webrtc.status
        switch event {
        case .connected:
            logger.info("WebRTC media keyed", metadata: [
                "pair": "\(status.localCandidate ?? "?") ↔ \(status.remoteCandidate ?? "?")", "dtlsRole": "\(status.dtlsRole)",
                "srtpProfile": "\(status.srtpProfile ?? "?")",
                "handshakeMs": "\(status.handshakeNanoseconds.map { String(format: "%.1f", Double($0) / 1e6) } ?? "?")",
            ])
        case .failed(let reason, let consentLost):
            logger.warning("WebRTC transport failed; ending the call", metadata: ["reason": "\(reason)"])
            end(reason: consentLost ? .timeout : .failed)
        case .closedByPeer:
            end(reason: .bye)
        }
    }

    // MARK: - Internals

    /// Starts the media of a negotiated WebRTC call, keyed by DTLS.
    func beginWebRTC(id: CallID, _ call: WebRTCCall, context: PlatformCallContext) throws(CallError) -> CallSummary {
        guard let negotiation = call.negotiation else {
            call.transport.close()
            setState(.idle)
            throw .internalError("the WebRTC call has no negotiation")
        }
        let media = negotiation.media
        // The media goes over the ICE pair, not to an address; JSEP's own placeholder
        // (c=IN IP4 0.0.0.0, port 9) stands in the configuration and in `status`.
        let placeholder = (try? SocketAddress(host: "0.0.0.0", port: 9)) ?? call.transport.localAddress
        var configuration = mediaConfiguration(remote: placeholder, keying: .dtls, localPort: 0)
        configuration.ssrc = call.parameters.ssrc
        configuration.cname = call.parameters.cname
        apply(media, to: &configuration)
        let summary: CallSummary
        do {
            summary = try begin(id: id, configuration, transport: .webrtc(call), direction: media.direction, context: context)
        } catch {
            call.transport.close()
            setState(.idle)
            throw error
        }
        applyRemote(negotiation.remote, to: call.transport)
        return summary
    }

    private func applyRemote(_ remote: WebRTCRemoteParameters, to transport: WebRTCTransport) {
        transport.setRemote(ufrag: remote.iceUfrag, password: remote.icePassword, candidates: remote.candidates,
                            fingerprints: remote.fingerprints.map { ($0.hashFunction, $0.value) }, endOfCandidates: remote.endOfCandidates)
    }

    private func makeTransport(controlling: Bool, dtlsClient: Bool) throws(CallError) -> WebRTCTransport {
        let certificate: DTLSCertificate
        switch DTLSCertificate.shared {
        case .success(let made): certificate = made
        case .failure(let error): throw .internalError("no DTLS certificate: \(error)")
        }
        let box = TransportIdentity()
        do {
            let transport = try WebRTCTransport(configuration: settings.webrtc, controlling: controlling, dtlsClient: dtlsClient,
                                                certificate: certificate) { [weak self] event in
                guard let id = box.id else { return }
                Task { await self?.handleTransport(event, transport: id) }
            }
            box.id = ObjectIdentifier(transport)
            return transport
        } catch {
            throw .internalError("cannot set up the WebRTC transport: \(error)")
        }
    }

    /// Gathers (bounded by `webrtc.gather-timeout-ms`) and describes our side.
    private func gather(_ transport: WebRTCTransport) async throws(CallError) -> (LocalMediaParameters, WebRTCLocalParameters) {
        let ice = await transport.gather()
        guard !ice.candidates.isEmpty, !ice.ufrag.isEmpty else {
            transport.close()
            let interfaces = settings.webrtc.interfaces.isEmpty ? "every non-loopback interface" : settings.webrtc.interfaces.joined(separator: ", ")
            throw .internalError("ICE gathered no candidate on \(interfaces) (set webrtc.interfaces, e.g. [lo] on a machine without a network)")
        }
        let local = localMedia(address: ice.defaultAddress, port: ice.defaultPort)
        let fingerprint = transport.fingerprint
        let parameters = WebRTCLocalParameters(
            iceUfrag: ice.ufrag, icePassword: ice.password,
            fingerprint: CertificateFingerprint(hashFunction: fingerprint.hashFunction, value: fingerprint.value),
            candidates: ice.candidates, defaultAddress: ice.defaultAddress, defaultPort: ice.defaultPort,
            ssrc: UInt32.random(in: 1...UInt32.max), cname: "softphoned-\(UInt32.random(in: 0...UInt32.max))",
            streamID: "softphoned", trackID: "softphoned-audio")
        return (local, parameters)
    }
}

/// The transport's identity, known once it exists, for the events it reports.
private final class TransportIdentity: @unchecked Sendable {
    var id: ObjectIdentifier?
}
