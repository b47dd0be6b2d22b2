import ControlProtocol
import ControlServer
import Foundation
import MediaCore
import MediaEngine
import SessionSignaling

/// Answers the control socket's methods (SPEC §4) from the daemon's state.
public struct DaemonRequestHandler: ControlRequestHandler {
    let mute: MuteController
    let calls: CallController
    let signaling: SessionSignalingService?
    let device: DeviceMuteSync?

    public init(mute: MuteController, calls: CallController, signaling: SessionSignalingService?, device: DeviceMuteSync? = nil) {
        self.mute = mute
        self.calls = calls
        self.signaling = signaling
        self.device = device
    }

    public func handle(method: String, params: JSONValue?, peer: PeerCredentials) async throws(ControlError) -> JSONValue {
        // Taken first, before anything else runs: the gate cuts at this instant.
        let arrivedAt = MonotonicClock.now()
        switch ControlMethod(rawValue: method) {
        case .mute:
            let request = try ControlParams.decode(MuteParams.self, from: params ?? .object([:]))
            let mode = request.mode.map(MuteMode.init)
            return try await applied { () throws(MuteError) in try mute.set(muted: true, source: .local, mode: mode, requestedAt: arrivedAt) }
        case .unmute:
            return try await applied { () throws(MuteError) in try mute.set(muted: false, source: .local, requestedAt: arrivedAt) }
        case .toggle:
            return try await applied { () throws(MuteError) in try mute.toggle(requestedAt: arrivedAt) }
        case .status:
            return try status()
        case .callStart:
            let request = try ControlParams.decode(CallStartParams.self, from: params)
            let remote: SocketAddress
            do { remote = try SocketAddress(request.remote) } catch { throw .invalidParams("remote: \(error.description)") }
            guard let suite = SRTPSuite(name: request.srtp.suite) else {
                throw .invalidParams("srtp.suite '\(request.srtp.suite)' is not one of \(SRTPSuite.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let key: SRTPMasterKey
            do { key = try SRTPMasterKey(suite: suite, inline: request.srtp.key) } catch { throw .invalidParams("srtp.key: \(error.description)") }
            var remoteKey: SRTPMasterKey?
            if let text = request.srtp.remoteKey {
                do { remoteKey = try SRTPMasterKey(suite: suite, inline: text) } catch { throw .invalidParams("srtp.remoteKey: \(error.description)") }
            }
            if let port = request.localPort, !(0...65_535).contains(port) { throw .invalidParams("localPort must be 0…65535") }
            signaling?.expectCall(conversationID: request.conversationId, participantID: request.participantId)
            let info = try await calls.start(remote: remote, key: key, remoteKey: remoteKey, localPort: request.localPort.map { UInt16($0) },
                                             sessionID: request.sessionId)
            return try ControlParams.encode(info)
        case .callOffer:
            let request = try ControlParams.decode(OfferParams.self, from: params ?? .object([:]))
            var transport: DaemonConfiguration.CallTransport?
            if let name = request.transport {
                guard let chosen = DaemonConfiguration.CallTransport(rawValue: name) else {
                    throw .invalidParams("transport '\(name)' is not one of sdes, webrtc")
                }
                transport = chosen
            }
            return try ControlParams.encode(SDPResult(sdp: try await calls.offer(transport: transport)))
        case .callAnswer:
            let request = try ControlParams.decode(SDPParams.self, from: params)
            signaling?.expectCall(conversationID: request.conversationId, participantID: request.participantId)
            return try ControlParams.encode(try await calls.answer(sdp: request.sdp, sessionID: request.sessionId))
        case .callAccept:
            let request = try ControlParams.decode(SDPParams.self, from: params)
            signaling?.expectCall(conversationID: request.conversationId, participantID: request.participantId)
            return try ControlParams.encode(SDPResult(sdp: try await calls.accept(sdp: request.sdp, sessionID: request.sessionId)))
        case .callHangup:
            guard await calls.hangup() else { throw .noActiveCall() }
            return try ControlParams.encode(HangupResult(ended: true))
        case .callDTMF:
            let request = try ControlParams.decode(DTMFParams.self, from: params)
            let digits: DTMFDigits
            do { digits = try DTMFDigits(request.digits, durationMs: request.durationMs) } catch { throw .invalidParams(error.description) }
            return try ControlParams.encode(DTMFResult(queued: try await calls.dtmf(digits)))
        case .authSetToken:
            let request = try ControlParams.decode(SetTokenParams.self, from: params)
            guard let signaling else { throw .invalidParams("auth.setToken needs api.profile genesys with api.grant user-token") }
            if let seconds = request.expiresIn, seconds <= 0 { throw .invalidParams("expiresIn must be a positive number of seconds") }
            do {
                let expiresAt = try signaling.setToken(Secret(request.accessToken), expiresIn: request.expiresIn.map { .seconds($0) })
                return try ControlParams.encode(SetTokenResult(accepted: true, expiresAt: expiresAt.map(ControlTimestamp.format)))
            } catch let error as SignalingError {
                throw .invalidParams(error.message)
            } catch {
                throw .invalidParams("\(error)")
            }
        case .authLogin:
            guard let signaling else { throw .invalidParams("login needs api.profile genesys with api.grant pkce") }
            do {
                let start = try await signaling.beginLogin()
                return try ControlParams.encode(LoginResult(url: start.url, redirectUri: start.redirectURI))
            } catch let error as SignalingError {
                throw .invalidParams(error.message)
            } catch {
                throw .invalidParams("\(error)")
            }
        case .authLoginWait:
            let request = try ControlParams.decode(LoginWaitParams.self, from: params ?? .object([:]))
            guard let signaling else { throw .invalidParams("login needs api.profile genesys with api.grant pkce") }
            let seconds = request.timeoutSeconds ?? 300
            guard (1...3600).contains(seconds) else { throw .invalidParams("timeoutSeconds must be 1…3600") }
            switch await signaling.waitForLogin(timeout: .seconds(seconds)) {
            case .success: return try ControlParams.encode(LoginWaitResult(loggedIn: true))
            case .failure(let error): throw .invalidParams(error.message)
            }
        case .subscribe, nil:
            throw .methodNotFound(method)
        }
    }

    /// Carries out a mute change and answers with the status once the call's send thread has
    /// applied it (at once with no call). A thread that does not take it within 250 ms is
    /// stuck in the audio device: the request is answered with 1005 — it is recorded and
    /// applied before that thread sends another frame, but the daemon does not claim it yet.
    private func applied(_ change: () throws(MuteError) -> MuteController.Outcome) async throws(ControlError) -> JSONValue {
        let outcome: MuteController.Outcome
        do { outcome = try change() } catch { throw .deviceUnavailable(error.description) }
        guard await mute.waitUntilApplied(outcome) else {
            throw .deviceUnavailable(
                "the media thread has not applied the change within 250 ms (the audio device is not delivering frames); "
                    + "the state is \(outcome.state.muted ? "muted" : "unmuted") and takes effect before another frame is sent")
        }
        return try status()
    }

    /// The `status` object.
    func status() throws(ControlError) -> JSONValue {
        try ControlParams.encode(StatusBuilder.status(mute: mute.state, call: calls.snapshot, signaling: signaling?.status,
                                                          device: device?.info))
    }
}

/// Builds the `status` object from the daemon's parts.
enum StatusBuilder {
    static func status(mute state: MuteState, call: CallSnapshot, signaling: SignalingStatus?, device: DeviceInfo? = nil) -> StatusResult {
        StatusResult(
            muted: state.muted,
            source: state.source.wire,
            mode: state.mode.wire,
            call: call.info,
            signaling: signalingInfo(signaling),
            stats: stats(call.media?.statistics.snapshot, scheduling: call.media?.scheduling.current),
            device: device)
    }

    static func signalingInfo(_ status: SignalingStatus?) -> SignalingInfo {
        guard let status else { return SignalingInfo(profile: .none, state: .off) }
        let profile = status.profile.flatMap { ControlProtocol.SignalingProfile(rawValue: $0.rawValue) } ?? .sessions
        return SignalingInfo(
            profile: profile, state: SignalingState(rawValue: status.state.rawValue) ?? .off, sessionId: status.sessionID,
            lastError: status.lastError, lastSyncAt: status.lastSyncAt.map(ControlTimestamp.format), platformMuted: status.platformMuted,
            conversationId: status.conversationID, participantId: status.participantID,
            channel: status.channel.map { ChannelInfo(state: $0.state.rawValue, since: ControlTimestamp.format($0.since)) })
    }

    static func stats(_ s: MediaStatistics.Snapshot?, scheduling: MediaThreadPolicy? = nil) -> StatsInfo {
        guard let s else { return StatsInfo() }
        return StatsInfo(
            framesCaptured: s.framesCaptured, packetsSent: s.packetsSent, bytesSent: s.bytesSent, sendErrors: s.sendErrors,
            rtcpSent: s.rtcpSent, overruns: s.overruns, mutedFrames: s.mutedFrames, deviceErrors: s.deviceErrors,
            inputLevelDBFS: s.inputLevelDBFS <= -120 ? nil : s.inputLevelDBFS,
            packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived, packetsLost: Int64(s.packetsLost),
            authFailures: s.authFailures, packetsRefused: s.packetsRefused, jitterMs: s.packetsReceived == 0 ? nil : s.jitterMilliseconds, rttMs: s.roundTripMilliseconds,
            plcFrames: s.concealedFrames, fecFrames: s.fecRecoveredFrames,
            outputLevelDBFS: s.outputLevelDBFS <= -120 ? nil : s.outputLevelDBFS,
            jitterBufferMs: s.packetsReceived == 0 ? nil : Double(s.jitterBufferMilliseconds),
            playbackQueueMs: s.packetsReceived == 0 ? nil : s.playbackQueueMilliseconds,
            captureLatencyMs: s.framesCaptured == 0 ? nil : s.captureLatencyMilliseconds,
            mediaThreads: scheduling.map(\.description))
    }
}
