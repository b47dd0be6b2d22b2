import ControlProtocol
import ControlServer
import Foundation
import Logging
import MediaCore
import MediaEngine
import SessionSignaling
import Synchronization

/// Starts, renegotiates and ends calls; owns the current call's media.
///
/// One call at a time. The mute state is not the call's: it lives in `MuteController`, so
/// renegotiation, hold and device trouble leave it untouched. A re-offer for the running
/// session is carried out by retargeting the running media (commands to its threads), never
/// by restarting it. Media events reach the actor through one ordered stream and are
/// dropped unless they come from the current call.
public actor CallController {
    struct ActiveCall {
        let id: UInt64
        var media: CallMedia
        var info: CallInfo
        var negotiated: NegotiatedMedia?
        var local: LocalMediaParameters?
        /// A WebRTC call's transport and what its SDP agreed.
        var webrtc: WebRTCCall?
    }

    /// A WebRTC call's side of the offer/answer: its ICE/DTLS transport, what we wrote, what was agreed.
    struct WebRTCCall {
        let transport: WebRTCTransport
        var local: LocalMediaParameters
        var parameters: WebRTCLocalParameters
        var negotiation: WebRTCNegotiation?
    }

    var settings: DaemonConfiguration
    let mute: MuteController
    let events: EventBus
    let signaling: SessionSignalingService?
    private let deviceSync: DeviceMuteSync?
    let logger: Logger
    var active: ActiveCall?
    private var pendingOffer: (offer: PendingOffer, port: UInt16)?
    /// Our WebRTC offer awaiting its answer (its transport has gathered and waits as DTLS server).
    var pendingWebRTCOffer: WebRTCCall?
    /// True while a WebRTC call is being set up across an `await` (gathering), so a second
    /// request cannot start another call meanwhile.
    var settingUp = false
    private var nextID: UInt64 = 1
    /// Lets `status` and the watchdog read the current call without waiting on the actor.
    nonisolated let snapshot = CallSnapshot()
    /// Media events in the order the media threads reported them, tagged with their call.
    private let mediaEvents: AsyncStream<(callID: UInt64, event: MediaEvent)>.Continuation

    public init(settings: DaemonConfiguration, mute: MuteController, events: EventBus,
                signaling: SessionSignalingService?, deviceSync: DeviceMuteSync? = nil, logger: Logger) {
        self.settings = settings
        self.mute = mute
        self.events = events
        self.signaling = signaling
        self.deviceSync = deviceSync
        self.logger = logger
        let (stream, continuation) = AsyncStream<(callID: UInt64, event: MediaEvent)>.makeStream()
        mediaEvents = continuation
        Task { [weak self] in
            for await item in stream {
                guard let self else { return }
                await self.handle(item.event, callID: item.callID)
            }
        }
    }

    deinit { mediaEvents.finish() }

    /// Applies reloadable settings (Opus bitrate) to the running call and future calls.
    public func reload(_ new: DaemonConfiguration) {
        guard new.opus.bitrate != settings.opus.bitrate else { return }
        settings.opus.bitrate = new.opus.bitrate
        active?.media.setBitrate(new.opus.bitrate)
    }

    // MARK: Static calls

    /// `call.start`: a call to a fixed peer with a pre-shared key.
    public func start(remote: SocketAddress, key: SRTPMasterKey, remoteKey: SRTPMasterKey? = nil,
                      localPort: UInt16? = nil, sessionID: String? = nil) throws(ControlError) -> CallInfo {
        guard active == nil, !settingUp else { throw .callAlreadyActive() }
        var configuration = mediaConfiguration(remote: remote, sendKey: key, receiveKey: remoteKey, localPort: localPort ?? settings.localPort)
        configuration.payloadType = settings.payloadType
        return try begin(configuration, direction: .sendrecv, negotiated: nil, local: nil, sessionID: sessionID)
    }

    // MARK: Offer/answer

    /// `call.offer`: an SDP offer; the call starts when the answer arrives.
    /// - Parameter transport: SDES or WebRTC; nil takes `call.transport`.
    public func offer(transport: DaemonConfiguration.CallTransport? = nil) async throws(ControlError) -> String {
        guard active == nil, !settingUp else { throw .callAlreadyActive() }
        if (transport ?? settings.callTransport) == .webrtc { return try await offerWebRTC() }
        discardPendingWebRTCOffer()
        let port = try reservePort()
        let local = LocalMediaParameters(
            address: LocalAddress.forOffers(), port: port, suites: settings.srtpSuites, payloadType: settings.payloadType,
            fec: settings.opus.fec, dtx: settings.opus.dtx, codecs: settings.codecs)
        let (sdp, pending) = SDPNegotiator.makeOffer(local: local)
        pendingOffer = (pending, port)
        return sdp
    }

    /// `call.answer`: the far end's answer to our offer.
    public func answer(sdp: String, sessionID: String?) async throws(ControlError) -> CallInfo {
        guard active == nil, !settingUp else { throw .callAlreadyActive() }
        if pendingWebRTCOffer != nil { return try await answerWebRTC(sdp: sdp, sessionID: sessionID) }
        guard let (pending, port) = pendingOffer else { throw .noActiveCall("no offer is pending: call call.offer first") }
        let negotiated: NegotiatedMedia
        do { negotiated = try SDPNegotiator.complete(pending, withAnswer: sdp) } catch { throw .badSDP(error.description) }
        pendingOffer = nil
        return try begin(negotiated: negotiated, local: pending.local, port: port, sessionID: sessionID)
    }

    /// `call.accept`: answers the far end's offer and starts the call. An offer during a call
    /// for the same session (its `o=` session id) renegotiates it in place — hold, resume, a
    /// new address, key or payload type — without touching the mute state; an offer for any
    /// other session is refused with 1002.
    public func accept(sdp: String, sessionID: String?) async throws(ControlError) -> String {
        guard !settingUp else { throw .callAlreadyActive("a WebRTC call is being set up") }
        if WebRTCNegotiator.isWebRTC(sdp) {
            if let call = active { return try await renegotiateWebRTC(call, offer: sdp) }
            return try await acceptWebRTC(sdp: sdp, sessionID: sessionID)
        }
        if let call = active { return try renegotiate(call, offer: sdp) }
        let port = try reservePort()
        let local = LocalMediaParameters(
            address: LocalAddress.forOffers(), port: port, suites: settings.srtpSuites, payloadType: settings.payloadType,
            fec: settings.opus.fec, dtx: settings.opus.dtx, codecs: settings.codecs)
        let result: (sdp: String, negotiated: NegotiatedMedia)
        do { result = try SDPNegotiator.answer(to: sdp, local: local) } catch { throw .badSDP(error.description) }
        _ = try begin(negotiated: result.negotiated, local: local, port: port, sessionID: sessionID)
        return result.sdp
    }

    /// A re-offer: the answer keeps our port, key (per suite) and session; what changed is
    /// handed to the running media as one retarget, then the direction.
    private func renegotiate(_ call: ActiveCall, offer sdp: String) throws(ControlError) -> String {
        if call.webrtc != nil { throw .badSDP("the call runs over WebRTC; a re-offer must be a WebRTC offer (a=fingerprint, a=ice-ufrag)") }
        guard let local = call.local, let old = call.negotiated else {
            throw .callAlreadyActive("a call started with call.start is active; hang it up before accepting an offer")
        }
        let offeredOrigin: SessionDescription.Origin?
        do { offeredOrigin = try SDPParser.parse(sdp).origin } catch { throw .badSDP(error.description) }
        try checkSameSession(known: old.remoteOrigin, offered: offeredOrigin)
        var renegotiated = local
        renegotiated.sessionVersion += 1
        renegotiated.sendingKeys = [old.localKey]
        let result: (sdp: String, negotiated: NegotiatedMedia)
        do { result = try SDPNegotiator.answer(to: sdp, local: renegotiated) } catch { throw .badSDP(error.description) }
        let new = result.negotiated
        let remote = try socketAddress(new.remote)
        guard remote.isIPv6 == call.media.localAddress.isIPv6 else {
            throw .badSDP("c=: the call runs over \(call.media.localAddress.isIPv6 ? "IPv6" : "IPv4") and cannot move to \(new.remote.host) within the call")
        }
        if new.remote != old.remote || new.remoteRTCP != old.remoteRTCP || new.rtcpMux != old.rtcpMux
            || new.remoteKey != old.remoteKey || new.localKey != old.localKey || new.payloadType != old.payloadType
            || new.codec != old.codec || new.telephoneEventPayloadType != old.telephoneEventPayloadType {
            var target = MediaTarget(remote: remote, remoteRTCP: new.rtcpMux ? nil : try socketAddress(new.remoteRTCP),
                                     payloadType: new.payloadType, telephoneEventPayloadType: new.telephoneEventPayloadType)
            do {
                if new.localKey != old.localKey { target.sendSRTP = try SRTPSession(key: new.localKey, direction: .send) }
                if new.remoteKey != old.remoteKey { target.receiveSRTP = try SRTPSession(key: new.remoteKey, direction: .receive) }
            } catch {
                throw .badSDP("a=crypto: the key cannot be used: \(error)")
            }
            if new.codec != old.codec { try switchCodec(&target, to: new.audio) }
            guard call.media.retarget(target) else {
                throw .internalError("the call's media threads are not taking commands (the audio device is stuck); the offer is not applied")
            }
        }
        if new.direction.sends != old.direction.sends { call.media.setSending(new.direction.sends) }
        var updated = call
        updated.negotiated = new
        updated.local = renegotiated
        updated.info.remote = new.remote.description
        updated.info.suite = new.suite.rawValue
        updated.info.codec = new.codec.rawValue
        updated.info.direction = CallDirection(rawValue: new.direction.rawValue) ?? .sendrecv
        active = updated
        snapshot.set(updated.info, media: updated.media, webrtc: nil)
        logger.info("call renegotiated", metadata: [
            "remote": "\(new.remote)", "direction": "\(new.direction.rawValue)", "payloadType": "\(new.payloadType)",
            "codec": "\(new.codec.rawValue)",
            "keyChanged": "\(new.remoteKey != old.remoteKey)",
        ])
        return result.sdp
    }

    /// Makes the encoder and decoder of a renegotiated codec here, off the media threads, which
    /// only swap them in at their next frame: the mute gate, sequence and timestamp carry on.
    func switchCodec(_ target: inout MediaTarget, to audio: NegotiatedAudio) throws(ControlError) {
        var opus = settings.opus
        opus.fec = settings.opus.fec && audio.remoteWantsFEC
        opus.dtx = settings.opus.dtx || audio.remotePrefersDTX
        do {
            target.encoder = try VoiceEncoder(codec: audio.codec, opus: opus)
            target.decoder = try VoiceDecoder(codec: audio.codec)
        } catch {
            throw .internalError("the \(audio.codec.encodingName) codec cannot be set up: \(error)")
        }
        logger.info("codec switched", metadata: ["codec": "\(audio.codec.rawValue)"])
    }

    /// `call.dtmf`: queues RFC 4733 digits for the send thread.
    /// - Returns: how many were queued.
    public func dtmf(_ digits: DTMFDigits) throws(ControlError) -> Int {
        guard let call = active else { throw .noActiveCall() }
        let eventType = call.negotiated?.telephoneEventPayloadType ?? call.webrtc?.negotiation?.media.telephoneEventPayloadType
        guard eventType != nil else {
            throw .badSDP("the far end did not agree to telephone-event (RFC 4733) at the \(call.info.codec ?? "opus") clock, so DTMF cannot be sent")
        }
        guard call.media.sendDTMF(digits.events, durationMilliseconds: digits.durationMilliseconds,
                                  gapMilliseconds: DTMFDigits.gapMilliseconds) else {
            throw .deviceUnavailable("the call's send thread is not taking commands (the audio device is stuck)")
        }
        return digits.events.count
    }

    /// A re-offer must be for the running session (its `o=` id) and not older than it.
    func checkSameSession(known: SessionDescription.Origin?, offered: SessionDescription.Origin?) throws(ControlError) {
        guard let known, let offered else { return }
        guard offered.sessionID == known.sessionID, offered.username == known.username else {
            throw .callAlreadyActive("a call is already active (session \(known.sessionID)); this offer is for session \(offered.sessionID)")
        }
        if let version = UInt64(offered.sessionVersion), let current = UInt64(known.sessionVersion), version < current {
            throw .badSDP("o=: version \(version) is older than the session's current version \(current)")
        }
    }

    /// `call.hangup` (and SIGTERM): ends the call with an RTCP BYE.
    @discardableResult
    public func hangup(reason: String = "hangup") -> Bool {
        guard active != nil else { return false }
        end(reason: reason)
        return true
    }

    public var info: CallInfo? { active?.info }

    // MARK: Internals

    func begin(negotiated: NegotiatedMedia, local: LocalMediaParameters, port: UInt16, sessionID: String?) throws(ControlError) -> CallInfo {
        try begin(try mediaConfiguration(negotiated: negotiated, port: port),
                  direction: CallDirection(rawValue: negotiated.direction.rawValue) ?? .sendrecv,
                  negotiated: negotiated, local: local, sessionID: sessionID)
    }

    func begin(_ configuration: CallMediaConfiguration, direction: CallDirection, negotiated: NegotiatedMedia?,
               local: LocalMediaParameters?, sessionID: String?, webrtc: WebRTCCall? = nil) throws(ControlError) -> CallInfo {
        let id = nextID
        nextID += 1
        let media: CallMedia
        let mediaEvents = self.mediaEvents
        do {
            let state = mute.state
            media = try CallMedia(configuration: configuration, muted: state.muted, mode: state.mode, webrtc: webrtc?.transport,
                                  events: { event in mediaEvents.yield((id, event)) })
        } catch {
            logger.error("call could not start", metadata: ["error": "\(error.description)"])
            throw error.deviceUnavailable ? .deviceUnavailable(error.description) : .internalError(error.description)
        }
        // Before the first frame: a call started with the device's switch off starts muted.
        deviceSync?.callStarting()
        mute.attach(media)
        media.start()
        var info = CallInfo(remote: configuration.remote.description, localPort: Int(media.localAddress.port),
                            suite: webrtc == nil ? configuration.sendKey.suite.rawValue : "DTLS-SRTP", direction: direction,
                            startedAt: ControlTimestamp.format(Date()), sessionId: sessionID)
        info.transport = webrtc == nil ? "sdes" : "webrtc"
        info.codec = configuration.codec.rawValue
        active = ActiveCall(id: id, media: media, info: info, negotiated: negotiated, local: local, webrtc: webrtc)
        snapshot.set(info, media: media, webrtc: webrtc?.transport)
        signaling?.callStarted(sessionID: sessionID)
        let state = mute.state
        events.publish(type: .callStarted, fields: [
            "remote": .string(info.remote), "localPort": .number(Double(info.localPort)),
            "muted": .bool(state.muted), "mode": .string(state.mode.rawValue),
        ])
        logger.info("call started", metadata: ["remote": "\(info.remote)", "localPort": "\(info.localPort)",
                                               "suite": "\(info.suite)", "muted": "\(state.muted)"])
        if let rtcp = media.configuration.remoteRTCP, webrtc == nil {
            logger.info("far end without rtcp-mux", metadata: [
                "remoteRTCP": "\(rtcp)",
                "receivingAtPortPlusOne": "\(media.rtcpPortListening ? "\(info.localPort + 1)" : "no (port in use)")",
            ])
        }
        let scheduling = media.scheduling
        Task { [logger] in
            // The threads record their scheduling as they start.
            try? await Task.sleep(for: .milliseconds(50))
            logger.info("media threads running", metadata: ["scheduling": "\(scheduling.current)"])
        }
        return info
    }

    func end(reason: String) {
        guard let call = active else { return }
        active = nil
        if !call.media.stop() {
            logger.warning("the media thread is stuck in the audio device; the call ended without waiting for it (no RTCP BYE)")
        }
        // After the media threads' RTCP BYE: DTLS close_notify, then ICE ends.
        call.webrtc?.transport.close()
        snapshot.set(nil, media: nil, webrtc: nil)
        signaling?.callEnded()
        events.publish(type: .callEnded, fields: ["reason": .string(reason)])
        deviceSync?.callEnded()
        logger.info("call ended", metadata: ["reason": "\(reason)",
                                             "packetsSent": "\(call.media.statistics.packetsSent.load(ordering: .relaxed))"])
        mute.callEnded(call.media)
    }

    func mediaConfiguration(remote: SocketAddress, sendKey: SRTPMasterKey, receiveKey: SRTPMasterKey?, localPort: UInt16) -> CallMediaConfiguration {
        CallMediaConfiguration(
            remote: remote, localPort: localPort, payloadType: settings.payloadType, sendKey: sendKey, receiveKey: receiveKey,
            source: settings.audioSource, playback: settings.audioPlayback, opus: settings.opus,
            cname: "softphoned-\(UInt32.random(in: 0...UInt32.max))", mediaTimeoutSeconds: settings.mediaTimeoutSeconds)
    }

    private func mediaConfiguration(negotiated: NegotiatedMedia, port: UInt16) throws(ControlError) -> CallMediaConfiguration {
        let remote = try socketAddress(negotiated.remote)
        var configuration = mediaConfiguration(remote: remote, sendKey: negotiated.localKey, receiveKey: negotiated.remoteKey, localPort: port)
        if !negotiated.rtcpMux { configuration.remoteRTCP = try socketAddress(negotiated.remoteRTCP) }
        configuration.codec = negotiated.codec
        configuration.payloadType = negotiated.payloadType
        configuration.telephoneEventPayloadType = negotiated.telephoneEventPayloadType
        configuration.sending = negotiated.direction.sends
        configuration.opus.fec = settings.opus.fec && negotiated.remoteWantsFEC
        configuration.opus.dtx = settings.opus.dtx || negotiated.remotePrefersDTX
        return configuration
    }

    /// Binds and releases a UDP port so the SDP can name it before the media starts.
    private func reservePort() throws(ControlError) -> UInt16 {
        if settings.localPort != 0 { return settings.localPort }
        do {
            let probe = try UDPSocket(localPort: 0, family: SocketAddress(host: "0.0.0.0", port: 9))
            return probe.localAddress.port
        } catch {
            throw .internalError("cannot reserve a UDP port: \(error)")
        }
    }

    /// An SDP endpoint as a socket address; the negotiator checks it is numeric, and anything
    /// that still does not parse is the far end's error, not a trap.
    private func socketAddress(_ endpoint: MediaEndpoint) throws(ControlError) -> SocketAddress {
        do { return try SocketAddress(host: endpoint.host, port: endpoint.port) } catch {
            throw .badSDP("c=: \(endpoint.host) is not a usable IPv4 or IPv6 address: \(error)")
        }
    }

    private func handle(_ event: MediaEvent, callID: UInt64) {
        // A late event from a call that has ended (or been replaced) says nothing about this one.
        guard active?.id == callID else { return }
        switch event {
        case .deviceError(let message):
            logger.error("audio device failed; sending silence until it recovers", metadata: ["error": "\(message)"])
            events.publish(type: .deviceError, fields: ["error": .string(message)])
        case .deviceRecovered(let device):
            logger.notice("audio device recovered", metadata: ["device": "\(device)"])
            events.publish(type: .deviceRecovered, fields: ["device": .string(device)])
        case .speakingWhileMuted:
            events.publish(type: .speakingWhileMuted, fields: ["muted": .bool(true)])
        case .remoteBye:
            end(reason: "bye")
        case .mediaTimeout:
            logger.warning("no media from the far end; ending the call", metadata: ["timeout": "\(settings.mediaTimeoutSeconds)s"])
            end(reason: "timeout")
        case .dtmf(let event, let duration):
            guard let digit = TelephoneEvent.digit(for: event) else { return }
            events.publish(type: .dtmf, fields: ["digit": .string(String(digit)), "durationMs": .number(Double(duration))])
        }
    }
}

/// The current call as other threads may read it without the actor.
final class CallSnapshot: Sendable {
    private let state = Mutex<(CallInfo?, CallMedia?, WebRTCTransport?)>((nil, nil, nil))
    func set(_ info: CallInfo?, media: CallMedia?, webrtc: WebRTCTransport? = nil) { state.withLock { $0 = (info, media, webrtc) } }
    /// The call, with a WebRTC call's transport state as it is now.
    var info: CallInfo? {
        let (info, _, webrtc) = state.withLock { $0 }
        guard var info, let webrtc else { return info }
        let status = webrtc.status
        if let suite = status.srtpSuite { info.suite = suite }
        let now = MonotonicClock.now()
        info.webrtc = WebRTCInfo(
            iceState: status.iceState, iceRole: status.iceRole, localCandidate: status.localCandidate,
            remoteCandidate: status.remoteCandidate, dtlsRole: status.dtlsRole, dtlsState: status.dtlsState,
            srtpProfile: status.srtpProfile, consent: status.consent,
            lastReceivedMsAgo: status.lastReceivedAt == 0 || status.lastReceivedAt > now ? nil : Double(now - status.lastReceivedAt) / 1e6,
            handshakeMs: status.handshakeNanoseconds.map { Double($0) / 1e6 }, failure: status.failure)
        return info
    }
    var media: CallMedia? { state.withLock { $0.1 } }
}
