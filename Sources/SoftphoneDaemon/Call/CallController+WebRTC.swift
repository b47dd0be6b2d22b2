import ControlProtocol
import ControlServer
import Foundation
import Logging
import MediaCore
import MediaEngine

/// WebRTC calls (SPEC §2b): ICE and DTLS-SRTP on a `WebRTCTransport`, SDP by `WebRTCNegotiator`.
///
/// Vanilla ICE: the transport gathers before the SDP is written, so the offer or answer
/// carries every candidate. The mute state is untouched by all of it: the media threads gate
/// exactly as for SDES, and `disable` sends no RTP while libnice keeps consent fresh.
extension CallController {
    /// `call.offer {"transport": "webrtc"}`: gathers, then writes an `actpass` offer. The
    /// transport waits as DTLS server, so a ClientHello that beats the answer is served.
    func offerWebRTC() async throws(ControlError) -> String {
        settingUp = true
        defer { settingUp = false }
        discardPendingWebRTCOffer()
        let transport = try makeTransport(controlling: true, dtlsClient: false)
        let (local, parameters) = try await gather(transport)
        let sdp = WebRTCNegotiator.makeOffer(local: local, webrtc: parameters)
        pendingWebRTCOffer = WebRTCCall(transport: transport, local: local, parameters: parameters, negotiation: nil)
        return sdp
    }

    /// `call.answer` to our WebRTC offer. A bad answer leaves the offer pending.
    func answerWebRTC(sdp: String, sessionID: String?) async throws(ControlError) -> CallInfo {
        guard var call = pendingWebRTCOffer else { throw .noActiveCall("no offer is pending: call call.offer first") }
        let negotiation: WebRTCNegotiation
        do { negotiation = try WebRTCNegotiator.complete(offer: call.local, withAnswer: sdp) } catch { throw .badSDP(error.description) }
        settingUp = true
        defer { settingUp = false }
        if negotiation.role == .client {
            guard await call.transport.becomeDTLSClient() else {
                throw .badSDP("a=setup:passive, but the far end has already begun the DTLS handshake as client")
            }
        }
        pendingWebRTCOffer = nil
        call.negotiation = negotiation
        return try beginWebRTC(call, sessionID: sessionID)
    }

    /// `call.accept` of a WebRTC offer: roles from the offer, gathering, then the answer.
    func acceptWebRTC(sdp: String, sessionID: String?) async throws(ControlError) -> String {
        guard active == nil else { throw .callAlreadyActive() }
        let probe = localMedia(address: "0.0.0.0", port: 9)
        let negotiation: WebRTCNegotiation
        do { negotiation = try WebRTCNegotiator.inspectOffer(sdp, local: probe) } catch { throw .badSDP(error.description) }
        settingUp = true
        defer { settingUp = false }
        discardPendingWebRTCOffer()
        let transport = try makeTransport(controlling: negotiation.iceControlling, dtlsClient: negotiation.role == .client)
        let (local, parameters) = try await gather(transport)
        let answer = WebRTCNegotiator.answer(negotiation, offer: sdp, local: local, webrtc: parameters)
        _ = try beginWebRTC(WebRTCCall(transport: transport, local: local, parameters: parameters, negotiation: negotiation),
                            sessionID: sessionID)
        return answer
    }

    /// A re-offer in a WebRTC call: hold and resume change the direction; the DTLS
    /// association, keys and ICE credentials stay unless the peer restarts ICE, and then
    /// only ICE restarts. Never a new call, never a mute change.
    func renegotiateWebRTC(_ call: ActiveCall, offer sdp: String) async throws(ControlError) -> String {
        guard var webrtc = call.webrtc, let established = webrtc.negotiation else {
            throw .callAlreadyActive("an SDES call is active; hang it up before accepting a WebRTC offer")
        }
        let negotiation: WebRTCNegotiation
        do { negotiation = try WebRTCNegotiator.inspectOffer(sdp, local: webrtc.local, established: established) } catch {
            throw .badSDP(error.description)
        }
        try checkSameSession(known: established.media.remoteOrigin, offered: negotiation.media.remoteOrigin)
        settingUp = true
        defer { settingUp = false }
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
        updated.webrtc = webrtc
        updated.info.direction = CallDirection(rawValue: negotiation.media.direction.rawValue) ?? .sendrecv
        updated.info.codec = negotiation.media.codec.rawValue
        active = updated
        snapshot.set(updated.info, media: updated.media, webrtc: webrtc.transport)
        logger.info("WebRTC call renegotiated", metadata: [
            "direction": "\(negotiation.media.direction.rawValue)", "iceRestart": "\(negotiation.iceRestart)",
        ])
        return answer
    }

    /// What the transport reports, for the call it belongs to.
    func handleTransport(_ event: WebRTCTransportEvent, transport: ObjectIdentifier) {
        guard let call = active, let webrtc = call.webrtc, ObjectIdentifier(webrtc.transport) == transport else { return }
        let status = webrtc.transport.status
        switch event {
        case .connected:
            logger.info("WebRTC media keyed", metadata: [
                "pair": "\(status.localCandidate ?? "?") ↔ \(status.remoteCandidate ?? "?")", "dtlsRole": "\(status.dtlsRole)",
                "srtpProfile": "\(status.srtpProfile ?? "?")",
                "handshakeMs": "\(status.handshakeNanoseconds.map { String(format: "%.1f", Double($0) / 1e6) } ?? "?")",
            ])
        case .failed(let reason, let consentLost):
            logger.warning("WebRTC transport failed; ending the call", metadata: ["reason": "\(reason)"])
            end(reason: consentLost ? "timeout" : "failed")
        case .closedByPeer:
            end(reason: "bye")
        }
    }

    func discardPendingWebRTCOffer() {
        pendingWebRTCOffer?.transport.close()
        pendingWebRTCOffer = nil
    }

    // MARK: - Internals

    private func beginWebRTC(_ call: WebRTCCall, sessionID: String?) throws(ControlError) -> CallInfo {
        guard let negotiation = call.negotiation else { throw .internalError("the WebRTC call has no negotiation") }
        let media = negotiation.media
        // The keys come from DTLS; this one only fills the configuration and is never used.
        let unused = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let nowhere = (try? SocketAddress(host: "0.0.0.0", port: 9)) ?? call.transport.localAddress
        var configuration = mediaConfiguration(remote: nowhere, sendKey: unused, receiveKey: unused, localPort: 0)
        configuration.keysFromDTLS = true
        configuration.ssrc = call.parameters.ssrc
        configuration.cname = call.parameters.cname
        configuration.codec = media.codec
        configuration.payloadType = media.payloadType
        configuration.telephoneEventPayloadType = media.telephoneEventPayloadType
        configuration.sending = media.direction.sends
        configuration.opus.fec = settings.opus.fec && media.remoteWantsFEC
        configuration.opus.dtx = settings.opus.dtx || media.remotePrefersDTX
        let info = try begin(configuration, direction: CallDirection(rawValue: media.direction.rawValue) ?? .sendrecv,
                             negotiated: nil, local: call.local, sessionID: sessionID, webrtc: call)
        applyRemote(negotiation.remote, to: call.transport)
        return info
    }

    private func applyRemote(_ remote: WebRTCRemoteParameters, to transport: WebRTCTransport) {
        transport.setRemote(ufrag: remote.iceUfrag, password: remote.icePassword, candidates: remote.candidates,
                            fingerprints: remote.fingerprints.map { ($0.hashFunction, $0.value) }, endOfCandidates: remote.endOfCandidates)
    }

    private func makeTransport(controlling: Bool, dtlsClient: Bool) throws(ControlError) -> WebRTCTransport {
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
    private func gather(_ transport: WebRTCTransport) async throws(ControlError) -> (LocalMediaParameters, WebRTCLocalParameters) {
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

    private func localMedia(address: String, port: UInt16) -> LocalMediaParameters {
        LocalMediaParameters(address: address, port: port, suites: settings.srtpSuites, payloadType: settings.payloadType,
                             fec: settings.opus.fec, dtx: settings.opus.dtx, codecs: settings.codecs)
    }
}

/// The transport's identity, known once it exists, for the events it reports.
private final class TransportIdentity: @unchecked Sendable {
    var id: ObjectIdentifier?
}
