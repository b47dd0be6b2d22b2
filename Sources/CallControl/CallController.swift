import Foundation
import Logging
import MediaCore
import MediaEngine
import Synchronization

/// Starts, renegotiates and ends calls; owns the current call's media. Speaks no wire
/// protocol: front ends (the control socket, a SIP user agent, the demo) call its steps,
/// read `CallError`s and follow its typed events on `CallEventHub`.
///
/// One call at a time, in one `CallState`. The mute state is not the call's: it lives in
/// `MuteController`, so renegotiation, hold and device trouble leave it untouched. A
/// re-offer for the running session is carried out by retargeting the running media
/// (commands to its threads), never by restarting it. Media events reach the actor through
/// one ordered stream and are dropped unless they come from the current call.
///
/// The steps, which a SIP dialog can drive one by one:
/// * incoming: `prepareAnswer` (the answer SDP; 180/200) → `startMedia` (ACK); `accept` does both;
/// * outgoing: `offer` → `answer`;
/// * `start` for a static call, `hangup`, `cancel`, `dtmf`.
public actor CallController {
    var settings: CallSettings
    let mute: MuteController
    let events: CallEventHub
    let platform: (any PlatformCallSync)?
    private let deviceSync: DeviceMuteSync?
    private let mediaFactory: MediaFactory
    let logger: Logger
    private(set) var state: CallState = .idle
    /// Our own re-offer (hold/resume) waiting for its answer.
    private var pendingReoffer: (CallID, PendingOffer, hold: Bool)?
    private var nextID: UInt64 = 1
    /// Lets `status` and the watchdog read the current call without waiting on the actor.
    public nonisolated let snapshot = CallSnapshot()
    /// Media events in the order the media threads reported them, tagged with their call.
    private let mediaEvents: AsyncStream<(callID: CallID, event: MediaEvent)>.Continuation

    /// - Parameters:
    ///   - platform: told when a call starts (with its context) and ends.
    ///   - media: the seam through which the calls' media is made.
    public init(settings: CallSettings, mute: MuteController, events: CallEventHub, platform: (any PlatformCallSync)?,
                deviceSync: DeviceMuteSync? = nil, media: MediaFactory = .live, logger: Logger) {
        self.settings = settings
        self.mute = mute
        self.events = events
        self.platform = platform
        self.deviceSync = deviceSync
        self.mediaFactory = media
        self.logger = logger
        let (stream, continuation) = AsyncStream<(callID: CallID, event: MediaEvent)>.makeStream()
        mediaEvents = continuation
        Task { [weak self] in
            for await item in stream {
                guard let self else { return }
                await self.handle(item.event, callID: item.callID)
            }
        }
    }

    deinit { mediaEvents.finish() }

    /// Where the call is.
    public var phase: CallPhase { state.phase }

    /// The running call (connected or held).
    public var summary: CallSummary? { state.call?.summary }

    /// Applies reloadable settings (Opus bitrate) to the running call and future calls.
    public func reload(_ new: CallSettings) {
        guard new.opus.bitrate != settings.opus.bitrate else { return }
        settings.opus.bitrate = new.opus.bitrate
        state.call?.media.setBitrate(new.opus.bitrate)
    }

    // MARK: Static calls

    /// A call to a fixed peer with a pre-shared key (`call.start`, the configured call).
    public func start(remote: SocketAddress, key: SRTPMasterKey, remoteKey: SRTPMasterKey? = nil,
                      localPort: UInt16? = nil, context: PlatformCallContext = PlatformCallContext()) throws(CallError) -> CallSummary {
        switch state {
        case .idle: break
        // As before the call core: an offer of ours still waiting for its answer gives way.
        case .calling(_, let pending):
            pending.discard()
            setState(.idle)
        default: throw .callAlreadyActive()
        }
        var configuration = mediaConfiguration(remote: remote, keying: .sdes(send: key, receive: remoteKey),
                                               localPort: localPort ?? settings.localPort)
        configuration.payloadType = settings.payloadType
        return try begin(id: makeID(), configuration, transport: .static, direction: .sendrecv, context: context)
    }

    // MARK: Outgoing: offer → answer

    /// Writes our offer; the call starts when `answer` brings the far end's answer. A new
    /// offer replaces one still pending.
    /// - Parameter transport: SDES or WebRTC; nil takes the settings' transport.
    public func offer(transport: CallTransportKind? = nil) async throws(CallError) -> CallDescription {
        switch state {
        case .idle: break
        case .calling(_, let pending):
            pending.discard()
            setState(.idle)
        default: throw .callAlreadyActive()
        }
        let id = makeID()
        if (transport ?? settings.transport) == .webrtc { return try await offerWebRTC(id: id) }
        let port = try reservePort()
        let local = localMedia(address: settings.bindLoopbackOnly ? "127.0.0.1" : LocalAddress.forOffers(), port: port)
        let (sdp, pending) = SDPNegotiator.makeOffer(local: local)
        setState(.calling(id, .sdes(pending, port: port)))
        return CallDescription(id: id, sdp: sdp)
    }

    /// The far end's answer to our offer: the call starts. A bad answer leaves the offer pending.
    public func answer(sdp: String, context: PlatformCallContext = PlatformCallContext()) async throws(CallError) -> CallSummary {
        let id: CallID, pending: OutgoingOffer
        switch state {
        case .calling(let calling, let offer): (id, pending) = (calling, offer)
        case .idle: throw .noActiveCall("no offer is pending: call call.offer first")
        default: throw .callAlreadyActive()
        }
        switch pending {
        case .webrtc(let call): return try await answerWebRTC(id: id, call, sdp: sdp, context: context)
        case .sdes(let offer, let port):
            let negotiated: NegotiatedMedia
            do { negotiated = try SDPNegotiator.complete(offer, withAnswer: sdp) } catch { throw .badSDP(error.description) }
            do { return try begin(id: id, negotiated: negotiated, local: offer.local, port: port, context: context) } catch {
                setState(.idle)
                throw error
            }
        }
    }

    // MARK: Incoming: offer → answer prepared → media started

    /// Answers the far end's offer without starting the media: the call is `ringing` until
    /// `startMedia` (SIP's ACK) or `cancel`.
    /// - Returns: the answer SDP and the call's handle.
    public func prepareAnswer(to sdp: String, context: PlatformCallContext = PlatformCallContext()) async throws(CallError) -> CallDescription {
        // Glare: the far end's offer wins over ours — once it is known to be usable, so a
        // refused offer leaves ours pending.
        let pending: OutgoingOffer?
        switch state {
        case .idle: pending = nil
        case .calling(_, let offer): pending = offer
        case .preparing: throw .callAlreadyActive("a WebRTC call is being set up")
        default: throw .callAlreadyActive()
        }
        let id = makeID()
        if WebRTCNegotiator.isWebRTC(sdp) {
            // Only the offer's roles are read here; our address is not known before gathering.
            let negotiation: WebRTCNegotiation
            do { negotiation = try WebRTCNegotiator.inspectOffer(sdp, local: localMedia(address: "0.0.0.0", port: 9)) } catch {
                throw .badSDP(error.description)
            }
            if let pending {
                pending.discard()
                setState(.idle)
            }
            return try await prepareWebRTCAnswer(id: id, negotiation: negotiation, offer: sdp, context: context)
        }
        let port = try reservePort()
        let local = localMedia(address: settings.bindLoopbackOnly ? "127.0.0.1" : LocalAddress.forOffers(toward: Self.offeredHost(sdp)),
                               port: port)
        let result: (sdp: String, negotiated: NegotiatedMedia)
        do { result = try SDPNegotiator.answer(to: sdp, local: local) } catch { throw .badSDP(error.description) }
        if let pending {
            pending.discard()
            setState(.idle)
        }
        setState(.ringing(id, .sdes(negotiated: result.negotiated, local: local, port: port), context))
        return CallDescription(id: id, sdp: result.sdp)
    }

    /// Starts the media of the call whose answer `prepareAnswer` wrote.
    public func startMedia(_ id: CallID) throws(CallError) -> CallSummary {
        guard case .ringing(let ringing, let prepared, let context) = state, ringing == id else {
            throw .noActiveCall("\(id) has no prepared answer")
        }
        switch prepared {
        case .sdes(let negotiated, let local, let port):
            do { return try begin(id: id, negotiated: negotiated, local: local, port: port, context: context) } catch {
                setState(.idle)
                throw error
            }
        case .webrtc(let call):
            return try beginWebRTC(id: id, call, context: context)
        }
    }

    /// Abandons a call not yet started: our pending offer, or an answer not yet confirmed.
    /// - Returns: false when `id` is neither.
    @discardableResult
    public func cancel(_ id: CallID) -> Bool {
        switch state {
        case .calling(let calling, let offer) where calling == id: offer.discard()
        case .ringing(let ringing, let prepared, _) where ringing == id: prepared.discard()
        default: return false
        }
        setState(.idle)
        return true
    }

    /// The control socket's one-shot `call.accept`: answers the far end's offer and starts the
    /// call. An offer during a call for the same session (its `o=` session id) renegotiates it
    /// in place — hold, resume, a new address, key, payload type or codec — without touching
    /// the mute state; an offer for any other session is refused (`callAlreadyActive`).
    public func accept(sdp: String, context: PlatformCallContext = PlatformCallContext()) async throws(CallError) -> String {
        if case .preparing = state { throw .callAlreadyActive("a WebRTC call is being set up") }
        if let call = state.call {
            if WebRTCNegotiator.isWebRTC(sdp) { return try renegotiateWebRTC(call, offer: sdp) }
            return try renegotiate(call, offer: sdp)
        }
        let answer = try await prepareAnswer(to: sdp, context: context)
        _ = try startMedia(answer.id)
        return answer.sdp
    }

    // MARK: During the call

    /// A re-offer: the answer keeps our port, key (per suite) and session; what changed is
    /// handed to the running media as one retarget, then the direction.
    private func renegotiate(_ call: Call, offer sdp: String) throws(CallError) -> String {
        let local: LocalMediaParameters, old: NegotiatedMedia
        switch call.transport {
        case .static: throw .callAlreadyActive("a call started with call.start is active; hang it up before accepting an offer")
        case .webrtc: throw .badSDP("the call runs over WebRTC; a re-offer must be a WebRTC offer (a=fingerprint, a=ice-ufrag)")
        case .sdes(let negotiated, let parameters): (local, old) = (parameters, negotiated)
        }
        let offeredOrigin: SessionDescription.Origin?
        do { offeredOrigin = try SDPParser.parse(sdp).origin } catch { throw .badSDP(error.description) }
        try checkSameSession(known: old.remoteOrigin, offered: offeredOrigin)
        var renegotiated = local
        renegotiated.sessionVersion += 1
        renegotiated.sendingKeys = [old.localKey]
        let result: (sdp: String, negotiated: NegotiatedMedia)
        do { result = try SDPNegotiator.answer(to: sdp, local: renegotiated) } catch { throw .badSDP(error.description) }
        try apply(result.negotiated, replacing: old, in: call, local: renegotiated, holding: call.holding)
        return result.sdp
    }

    /// Carries a renegotiation out on the running media: what changed is handed to it as one
    /// retarget, then the direction; the mute state is not touched.
    private func apply(_ offered: NegotiatedMedia, replacing old: NegotiatedMedia, in call: Call, local renegotiated: LocalMediaParameters,
                       holding: Bool = false) throws(CallError) {
        var new = offered
        // RFC 2543's hold (`c=0.0.0.0`, still sent by PBXs): the negotiator already stops our
        // sending; the far end also keeps its address, so not even RTCP goes to 0.0.0.0, which
        // Linux delivers to this host.
        if new.remote.isUnspecified {
            new.remote = old.remote
            new.remoteRTCP = old.remoteRTCP
        }
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
        // Our own hold offers sendonly but sends nothing: the held party hears no microphone.
        let sends = new.direction.sends && !holding
        let sent = old.direction.sends && !(call.holding)
        if sends != sent { call.media.setSending(sends) }
        var updated = call
        updated.transport = .sdes(negotiated: new, local: renegotiated)
        updated.holding = holding
        updated.summary.remote = new.remote.description
        updated.summary.suite = new.suite
        updated.summary.codec = new.codec
        updated.summary.direction = new.direction
        setState(.running(updated))
        snapshot.set(updated.summary, media: updated.media, webrtc: nil)
        logger.info("call renegotiated", metadata: [
            "remote": "\(new.remote)", "direction": "\(new.direction.rawValue)", "payloadType": "\(new.payloadType)",
            "codec": "\(new.codec.rawValue)",
            "keyChanged": "\(new.remoteKey != old.remoteKey)",
        ])
    }

    /// Our own re-offer of the running SDES call: `sendonly` to hold it, `sendrecv` to take it
    /// off hold. The far end's answer goes to `completeReoffer`.
    public func reoffer(hold: Bool) throws(CallError) -> String {
        guard let call = state.call else { throw .noActiveCall() }
        guard case .sdes(let negotiated, let parameters) = call.transport else {
            throw .invalidArgument("only a call negotiated with SDP over SDES can be held this way")
        }
        var local = parameters
        local.sessionVersion += 1
        local.sendingKeys = [negotiated.localKey]
        local.direction = hold ? .sendonly : .sendrecv
        let (sdp, pending) = SDPNegotiator.makeOffer(local: local)
        pendingReoffer = (call.id, pending, hold)
        return sdp
    }

    /// The far end's answer to `reoffer`: applied to the running media.
    public func completeReoffer(answer sdp: String) throws(CallError) -> CallSummary {
        guard let call = state.call, let (id, pending, hold) = pendingReoffer, id == call.id,
              case .sdes(let old, _) = call.transport else {
            throw .noActiveCall("no re-offer of ours is pending")
        }
        pendingReoffer = nil
        let negotiated: NegotiatedMedia
        do { negotiated = try SDPNegotiator.complete(pending, withAnswer: sdp) } catch { throw .badSDP(error.description) }
        try apply(negotiated, replacing: old, in: call, local: pending.local, holding: hold)
        return state.call?.summary ?? call.summary
    }

    /// Forgets a re-offer the far end refused (491, 488): the call goes on as it was.
    public func abandonReoffer() { pendingReoffer = nil }

    /// Makes the encoder and decoder of a renegotiated codec here, off the media threads, which
    /// only swap them in at their next frame: the mute gate, sequence and timestamp carry on.
    func switchCodec(_ target: inout MediaTarget, to audio: NegotiatedAudio) throws(CallError) {
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

    /// The address the offer's audio comes from (its `c=`), when it names one.
    static func offeredHost(_ sdp: String) -> String? {
        guard let session = try? SDPParser.parse(sdp) else { return nil }
        return (session.media.first { $0.media == "audio" }?.connection ?? session.connection)?.address
    }

    /// Queues RFC 4733 digits for the send thread.
    /// - Returns: how many were queued.
    public func dtmf(_ digits: DTMFDigits) throws(CallError) -> Int {
        guard let call = state.call else { throw .noActiveCall() }
        let eventType: UInt8? = switch call.transport {
        case .static: nil
        case .sdes(let negotiated, _): negotiated.telephoneEventPayloadType
        case .webrtc(let webrtc): webrtc.negotiation?.media.telephoneEventPayloadType
        }
        guard eventType != nil else {
            throw .badSDP("the far end did not agree to telephone-event (RFC 4733) at the \(call.summary.codec.rawValue) clock, so DTMF cannot be sent")
        }
        guard call.media.sendDTMF(digits.events, durationMilliseconds: digits.durationMilliseconds,
                                  gapMilliseconds: DTMFDigits.gapMilliseconds) else {
            throw .deviceUnavailable("the call's send thread is not taking commands (the audio device is stuck)")
        }
        return digits.events.count
    }

    /// A re-offer must be for the running session (its `o=` id) and not older than it.
    func checkSameSession(known: SessionDescription.Origin?, offered: SessionDescription.Origin?) throws(CallError) {
        guard let known, let offered else { return }
        guard offered.sessionID == known.sessionID, offered.username == known.username else {
            throw .callAlreadyActive("a call is already active (session \(known.sessionID)); this offer is for session \(offered.sessionID)")
        }
        if let version = UInt64(offered.sessionVersion), let current = UInt64(known.sessionVersion), version < current {
            throw .badSDP("o=: version \(version) is older than the session's current version \(current)")
        }
    }

    /// Ends the running call with an RTCP BYE.
    /// - Returns: false when no call runs.
    @discardableResult
    public func hangup(reason: CallEndReason = .hangup, status: Int? = nil) -> Bool {
        guard state.call != nil else { return false }
        end(reason: reason, status: status)
        return true
    }

    /// Ends call `id` whatever its phase — an offer of ours not answered, an answer not yet
    /// confirmed, or running media — and reports it ended with `reason` (a SIP dialog that
    /// ended: CANCEL, a refusal, BYE).
    /// - Returns: false when `id` is not the current call.
    @discardableResult
    public func end(_ id: CallID, reason: CallEndReason, status: Int? = nil) -> Bool {
        if state.call?.id == id {
            end(reason: reason, status: status)
            return true
        }
        guard cancel(id) else { return false }
        events.publish(.call(.ended(id, reason: reason, status: status)))
        return true
    }

    // MARK: Internals

    func makeID() -> CallID {
        defer { nextID += 1 }
        return CallID(rawValue: nextID)
    }

    /// Changes the state, telling every front end when its phase (or call) changed.
    func setState(_ new: CallState) {
        let old = state
        state = new
        guard old.phase != new.phase || old.id != new.id, let id = new.id ?? old.id else { return }
        events.publish(.call(.stateChanged(id, new.phase)))
    }

    private func begin(id: CallID, negotiated: NegotiatedMedia, local: LocalMediaParameters, port: UInt16,
                       context: PlatformCallContext) throws(CallError) -> CallSummary {
        try begin(id: id, try mediaConfiguration(negotiated: negotiated, port: port),
                  transport: .sdes(negotiated: negotiated, local: local), direction: negotiated.direction, context: context)
    }

    func begin(id: CallID, _ configuration: CallMediaConfiguration, transport: CallTransport, direction: MediaDirection,
               context: PlatformCallContext) throws(CallError) -> CallSummary {
        let media: CallMedia
        let mediaEvents = self.mediaEvents
        do {
            let state = mute.state
            media = try mediaFactory.makeMedia(MediaRequest(
                configuration: configuration, muted: state.muted, mode: state.mode, webrtc: transport.webrtcTransport,
                events: { event in mediaEvents.yield((id, event)) }))
        } catch {
            logger.error("call could not start", metadata: ["error": "\(error.description)"])
            throw error.deviceUnavailable ? .deviceUnavailable(error.description) : .internalError(error.description)
        }
        // Before the first frame: a call started with the device's switch off starts muted.
        deviceSync?.callStarting()
        mute.attach(media)
        media.start()
        let summary = CallSummary(id: id, remote: configuration.remote.description, localPort: media.localAddress.port,
                                  suite: configuration.keying.suite, direction: direction, startedAt: Date(),
                                  transport: transport.kind, codec: configuration.codec, context: context)
        let call = Call(id: id, media: media, summary: summary, transport: transport)
        setState(.running(call))
        snapshot.set(summary, media: media, webrtc: transport.webrtcTransport)
        platform?.callStarted(context)
        let mute = mute.state
        events.publish(.call(.started(summary, muted: mute.muted, mode: mute.mode)))
        logger.info("call started", metadata: ["remote": "\(summary.remote)", "localPort": "\(summary.localPort)",
                                               "suite": "\(summary.suite?.rawValue ?? "DTLS-SRTP")", "muted": "\(mute.muted)"])
        if let rtcp = media.configuration.remoteRTCP, transport.kind != .webrtc {
            logger.info("far end without rtcp-mux", metadata: [
                "remoteRTCP": "\(rtcp)",
                "receivingAtPortPlusOne": "\(media.rtcpPortListening ? "\(Int(summary.localPort) + 1)" : "no (port in use)")",
            ])
        }
        let scheduling = media.scheduling
        Task { [logger] in
            // The threads record their scheduling as they start.
            try? await Task.sleep(for: .milliseconds(50))
            logger.info("media threads running", metadata: ["scheduling": "\(scheduling.current)"])
        }
        return summary
    }

    func end(reason: CallEndReason, status: Int? = nil) {
        guard let call = state.call else { return }
        setState(.ending(call.id))
        if !call.media.stop() {
            logger.warning("the media thread is stuck in the audio device; the call ended without waiting for it (no RTCP BYE)")
        }
        // After the media threads' RTCP BYE: DTLS close_notify, then ICE ends.
        call.transport.webrtcTransport?.close()
        snapshot.set(nil, media: nil, webrtc: nil)
        platform?.callEnded()
        events.publish(.call(.ended(call.id, reason: reason, status: status)))
        deviceSync?.callEnded()
        logger.info("call ended", metadata: ["reason": "\(reason.rawValue)",
                                             "packetsSent": "\(call.media.statistics.packetsSent.load(ordering: .relaxed))"])
        mute.callEnded(call.media)
        setState(.idle)
    }

    func mediaConfiguration(remote: SocketAddress, keying: MediaKeying, localPort: UInt16) -> CallMediaConfiguration {
        CallMediaConfiguration(
            remote: remote, localPort: localPort, bindLoopbackOnly: settings.bindLoopbackOnly, payloadType: settings.payloadType,
            keying: keying, source: settings.audioSource, playback: settings.audioPlayback, opus: settings.opus,
            cname: "softphoned-\(UInt32.random(in: 0...UInt32.max))", mediaTimeoutSeconds: settings.mediaTimeoutSeconds)
    }

    private func mediaConfiguration(negotiated: NegotiatedMedia, port: UInt16) throws(CallError) -> CallMediaConfiguration {
        let remote = try socketAddress(negotiated.remote)
        var configuration = mediaConfiguration(remote: remote, keying: .sdes(send: negotiated.localKey, receive: negotiated.remoteKey),
                                               localPort: port)
        if !negotiated.rtcpMux { configuration.remoteRTCP = try socketAddress(negotiated.remoteRTCP) }
        apply(negotiated.audio, to: &configuration)
        return configuration
    }

    /// What the SDP agreed for the audio (SDES or WebRTC alike): codec, payload types,
    /// direction, and the far end's Opus wishes.
    func apply(_ audio: NegotiatedAudio, to configuration: inout CallMediaConfiguration) {
        configuration.codec = audio.codec
        configuration.payloadType = audio.payloadType
        configuration.telephoneEventPayloadType = audio.telephoneEventPayloadType
        configuration.sending = audio.direction.sends
        configuration.opus.fec = settings.opus.fec && audio.remoteWantsFEC
        configuration.opus.dtx = settings.opus.dtx || audio.remotePrefersDTX
    }

    func localMedia(address: String, port: UInt16) -> LocalMediaParameters {
        LocalMediaParameters(address: address, port: port, suites: settings.srtpSuites, payloadType: settings.payloadType,
                             fec: settings.opus.fec, dtx: settings.opus.dtx, codecs: settings.codecs)
    }

    /// Binds and releases a UDP port so the SDP can name it before the media starts.
    private func reservePort() throws(CallError) -> UInt16 {
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
    private func socketAddress(_ endpoint: MediaEndpoint) throws(CallError) -> SocketAddress {
        do { return try SocketAddress(host: endpoint.host, port: endpoint.port) } catch {
            throw .badSDP("c=: \(endpoint.host) is not a usable IPv4 or IPv6 address: \(error)")
        }
    }

    private func handle(_ event: MediaEvent, callID: CallID) {
        // A late event from a call that has ended (or been replaced) says nothing about this one.
        guard state.call?.id == callID else { return }
        switch event {
        case .deviceError(let message):
            logger.error("audio device failed; sending silence until it recovers", metadata: ["error": "\(message)"])
            events.publish(.device(.error(message, mixer: nil)))
        case .deviceRecovered(let device):
            logger.notice("audio device recovered", metadata: ["device": "\(device)"])
            events.publish(.device(.recovered(device: device, mixer: nil)))
        case .speakingWhileMuted:
            events.publish(.call(.speakingWhileMuted(callID)))
        case .remoteBye:
            end(reason: .bye)
        case .mediaTimeout:
            logger.warning("no media from the far end; ending the call", metadata: ["timeout": "\(settings.mediaTimeoutSeconds)s"])
            end(reason: .timeout)
        case .dtmf(let event, let duration):
            guard let digit = TelephoneEvent.digit(for: event) else { return }
            events.publish(.call(.dtmf(callID, digit: digit, durationMilliseconds: duration)))
        }
    }
}

/// The current call as other threads may read it without the actor.
public final class CallSnapshot: Sendable {
    private let state = Mutex<(CallSummary?, CallMedia?, WebRTCTransport?)>((nil, nil, nil))

    func set(_ summary: CallSummary?, media: CallMedia?, webrtc: WebRTCTransport? = nil) {
        state.withLock { $0 = (summary, media, webrtc) }
    }

    /// The running call, its media and (a WebRTC call) its transport's state as it is now, read together.
    public var current: (summary: CallSummary, media: CallMedia, webrtc: WebRTCTransportStatus?)? {
        let (summary, media, webrtc) = state.withLock { $0 }
        guard let summary, let media else { return nil }
        return (summary, media, webrtc?.status)
    }

    public var summary: CallSummary? { state.withLock { $0.0 } }
    public var media: CallMedia? { state.withLock { $0.1 } }
}
