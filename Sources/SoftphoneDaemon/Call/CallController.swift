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
/// renegotiation, hold and device trouble leave it untouched.
public actor CallController {
    struct ActiveCall {
        let id: UInt64
        var media: CallMedia
        var info: CallInfo
        var negotiated: NegotiatedMedia?
        var local: LocalMediaParameters?
    }

    private var settings: DaemonConfiguration
    private let mute: MuteController
    private let events: EventBus
    private let signaling: SessionSignalingService?
    private let deviceSync: DeviceMuteSync?
    private let logger: Logger
    private var active: ActiveCall?
    private var pendingOffer: (offer: PendingOffer, port: UInt16)?
    private var nextID: UInt64 = 1
    /// Lets `status` and the watchdog read the current call without waiting on the actor.
    nonisolated let snapshot = CallSnapshot()

    public init(settings: DaemonConfiguration, mute: MuteController, events: EventBus,
                signaling: SessionSignalingService?, deviceSync: DeviceMuteSync? = nil, logger: Logger) {
        self.settings = settings
        self.mute = mute
        self.events = events
        self.signaling = signaling
        self.deviceSync = deviceSync
        self.logger = logger
    }

    /// Applies reloadable settings (Opus bitrate) to the running call and future calls.
    public func reload(_ new: DaemonConfiguration) {
        settings.opus.bitrate = new.opus.bitrate
        active?.media.setBitrate(new.opus.bitrate)
    }

    // MARK: Static calls

    /// `call.start`: a call to a fixed peer with a pre-shared key.
    public func start(remote: SocketAddress, key: SRTPMasterKey, remoteKey: SRTPMasterKey? = nil,
                      localPort: UInt16? = nil, sessionID: String? = nil) throws(ControlError) -> CallInfo {
        guard active == nil else { throw .callAlreadyActive() }
        var configuration = mediaConfiguration(remote: remote, sendKey: key, receiveKey: remoteKey, localPort: localPort ?? settings.localPort)
        configuration.payloadType = settings.payloadType
        return try begin(configuration, direction: .sendrecv, negotiated: nil, local: nil, sessionID: sessionID)
    }

    // MARK: Offer/answer

    /// `call.offer`: an SDP offer; the call starts when the answer arrives.
    public func offer() throws(ControlError) -> String {
        guard active == nil else { throw .callAlreadyActive() }
        let port = try reservePort()
        let local = LocalMediaParameters(
            address: LocalAddress.forOffers(), port: port, suites: settings.srtpSuites, payloadType: settings.payloadType,
            fec: settings.opus.fec, dtx: settings.opus.dtx)
        let (sdp, pending) = SDPNegotiator.makeOffer(local: local)
        pendingOffer = (pending, port)
        return sdp
    }

    /// `call.answer`: the far end's answer to our offer.
    public func answer(sdp: String, sessionID: String?) throws(ControlError) -> CallInfo {
        guard active == nil else { throw .callAlreadyActive() }
        guard let (pending, port) = pendingOffer else { throw .noActiveCall("no offer is pending: call call.offer first") }
        let negotiated: NegotiatedMedia
        do { negotiated = try SDPNegotiator.complete(pending, withAnswer: sdp) } catch { throw .badSDP(error.description) }
        pendingOffer = nil
        return try begin(negotiated: negotiated, local: pending.local, port: port, sessionID: sessionID)
    }

    /// `call.accept`: answers the far end's offer and starts the call; an offer during a
    /// call renegotiates it (hold, resume, new address) without touching the mute state.
    public func accept(sdp: String, sessionID: String?) throws(ControlError) -> String {
        if var call = active, let local = call.local {
            var renegotiate = local
            renegotiate.sessionVersion += 1
            renegotiate.sendingKeys = [call.negotiated!.localKey]
            let result: (sdp: String, negotiated: NegotiatedMedia)
            do { result = try SDPNegotiator.answer(to: sdp, local: renegotiate) } catch { throw .badSDP(error.description) }
            let old = call.negotiated!
            if result.negotiated.remote == old.remote && result.negotiated.remoteKey == old.remoteKey
                && result.negotiated.payloadType == old.payloadType {
                // Same stream, new direction: hold or resume in place.
                call.media.setSending(result.negotiated.direction.sends)
                call.negotiated = result.negotiated
                call.local = renegotiate
                call.info.direction = CallDirection(rawValue: result.negotiated.direction.rawValue) ?? .sendrecv
                active = call
                snapshot.set(call.info, media: call.media)
                logger.info("call renegotiated", metadata: ["direction": "\(result.negotiated.direction.rawValue)"])
                return result.sdp
            }
            // A new address or key: restart the media on the same port, same call.
            call.media.stop()
            let configuration = mediaConfiguration(negotiated: result.negotiated, port: local.port)
            do {
                call.media = try CallMedia(configuration: configuration, muteSignal: mute.signal,
                                           events: mediaEventHandler(callID: call.id))
            } catch {
                end(reason: "error")
                throw error.deviceUnavailable ? .deviceUnavailable(error.description) : .internalError(error.description)
            }
            call.media.start()
            call.negotiated = result.negotiated
            call.local = renegotiate
            call.info.remote = result.negotiated.remote.description
            active = call
            snapshot.set(call.info, media: call.media)
            return result.sdp
        }
        let port = try reservePort()
        let local = LocalMediaParameters(
            address: LocalAddress.forOffers(), port: port, suites: settings.srtpSuites, payloadType: settings.payloadType,
            fec: settings.opus.fec, dtx: settings.opus.dtx)
        let result: (sdp: String, negotiated: NegotiatedMedia)
        do { result = try SDPNegotiator.answer(to: sdp, local: local) } catch { throw .badSDP(error.description) }
        _ = try begin(negotiated: result.negotiated, local: local, port: port, sessionID: sessionID)
        return result.sdp
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

    private func begin(negotiated: NegotiatedMedia, local: LocalMediaParameters, port: UInt16, sessionID: String?) throws(ControlError) -> CallInfo {
        try begin(mediaConfiguration(negotiated: negotiated, port: port),
                  direction: CallDirection(rawValue: negotiated.direction.rawValue) ?? .sendrecv,
                  negotiated: negotiated, local: local, sessionID: sessionID)
    }

    private func begin(_ configuration: CallMediaConfiguration, direction: CallDirection, negotiated: NegotiatedMedia?,
                       local: LocalMediaParameters?, sessionID: String?) throws(ControlError) -> CallInfo {
        let id = nextID
        nextID += 1
        let media: CallMedia
        do {
            media = try CallMedia(configuration: configuration, muteSignal: mute.signal, events: mediaEventHandler(callID: id))
        } catch {
            logger.error("call could not start", metadata: ["error": "\(error.description)"])
            throw error.deviceUnavailable ? .deviceUnavailable(error.description) : .internalError(error.description)
        }
        // Before the first frame: a call started with the device's switch off starts muted.
        deviceSync?.callStarting()
        media.start()
        let info = CallInfo(remote: configuration.remote.description, localPort: Int(media.localAddress.port),
                            suite: configuration.sendKey.suite.rawValue, direction: direction,
                            startedAt: ControlTimestamp.format(Date()), sessionId: sessionID)
        active = ActiveCall(id: id, media: media, info: info, negotiated: negotiated, local: local)
        snapshot.set(info, media: media)
        signaling?.callStarted(sessionID: sessionID)
        let state = mute.state
        events.publish(type: .callStarted, fields: [
            "remote": .string(info.remote), "localPort": .number(Double(info.localPort)),
            "muted": .bool(state.muted), "mode": .string(state.mode.rawValue),
        ])
        logger.info("call started", metadata: ["remote": "\(info.remote)", "localPort": "\(info.localPort)",
                                               "suite": "\(info.suite)", "muted": "\(state.muted)"])
        return info
    }

    private func end(reason: String) {
        guard let call = active else { return }
        active = nil
        if !call.media.stop() {
            logger.warning("the media thread is stuck in the audio device; the call ended without waiting for it (no RTCP BYE)")
        }
        snapshot.set(nil, media: nil)
        signaling?.callEnded()
        events.publish(type: .callEnded, fields: ["reason": .string(reason)])
        deviceSync?.callEnded()
        logger.info("call ended", metadata: ["reason": "\(reason)",
                                             "packetsSent": "\(call.media.statistics.packetsSent.load(ordering: .relaxed))"])
        mute.callEnded()
    }

    private func mediaConfiguration(remote: SocketAddress, sendKey: SRTPMasterKey, receiveKey: SRTPMasterKey?, localPort: UInt16) -> CallMediaConfiguration {
        CallMediaConfiguration(
            remote: remote, localPort: localPort, payloadType: settings.payloadType, sendKey: sendKey, receiveKey: receiveKey,
            source: settings.audioSource, playback: settings.audioPlayback, opus: settings.opus,
            cname: "softphoned-\(UInt32.random(in: 0...UInt32.max))", mediaTimeoutSeconds: settings.mediaTimeoutSeconds)
    }

    private func mediaConfiguration(negotiated: NegotiatedMedia, port: UInt16) -> CallMediaConfiguration {
        // The address parsed from SDP is numeric, so this cannot fail.
        let remote = (try? SocketAddress(host: negotiated.remote.host, port: negotiated.remote.port))!
        var configuration = mediaConfiguration(remote: remote, sendKey: negotiated.localKey, receiveKey: negotiated.remoteKey, localPort: port)
        configuration.payloadType = negotiated.payloadType
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

    private nonisolated func mediaEventHandler(callID: UInt64) -> @Sendable (MediaEvent) -> Void {
        { [weak self] event in
            guard let self else { return }
            Task { await self.handle(event, callID: callID) }
        }
    }

    private func handle(_ event: MediaEvent, callID: UInt64) {
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
            guard active?.id == callID else { return }
            end(reason: "bye")
        case .mediaTimeout:
            guard active?.id == callID else { return }
            logger.warning("no media from the far end; ending the call", metadata: ["timeout": "\(settings.mediaTimeoutSeconds)s"])
            end(reason: "timeout")
        }
    }
}

/// The current call as other threads may read it without the actor.
final class CallSnapshot: Sendable {
    private let state = Mutex<(CallInfo?, CallMedia?)>((nil, nil))
    func set(_ info: CallInfo?, media: CallMedia?) { state.withLock { $0 = (info, media) } }
    var info: CallInfo? { state.withLock { $0.0 } }
    var media: CallMedia? { state.withLock { $0.1 } }
}
