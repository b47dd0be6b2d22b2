import CallControl
import ControlProtocol
import ControlServer
import Foundation
import MediaCore
import MediaEngine
import PlatformSync

/// The control socket as a front end of the call core: answers its methods (SPEC §4) by
/// calling the core's steps, and maps `CallError` to the JSON-RPC error (`ControlEncoder`).
public struct DaemonRequestHandler: ControlRequestHandler {
    let mute: MuteController
    let calls: CallController
    let signaling: PlatformSyncService?
    let device: DeviceMuteSync?
    /// The SIP line, when `sip.enabled`.
    let phone: (any PhoneLine)?

    public init(mute: MuteController, calls: CallController, signaling: PlatformSyncService?, device: DeviceMuteSync? = nil,
                phone: (any PhoneLine)? = nil) {
        self.mute = mute
        self.calls = calls
        self.signaling = signaling
        self.device = device
        self.phone = phone
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
            let context = PlatformCallContext(sessionID: request.sessionId, conversationID: request.conversationId,
                                              participantID: request.participantId)
            let summary = try await core { () async throws(CallError) in
                try await calls.start(remote: remote, key: key, remoteKey: remoteKey, localPort: request.localPort.map { UInt16($0) },
                                      context: context)
            }
            return try ControlParams.encode(ControlEncoder.callInfo(summary))
        case .callOffer:
            let request = try ControlParams.decode(OfferParams.self, from: params ?? .object([:]))
            var transport: CallTransportKind?
            if let name = request.transport {
                guard let chosen = CallTransportKind(rawValue: name) else {
                    throw .invalidParams("transport '\(name)' is not one of sdes, webrtc")
                }
                transport = chosen
            }
            let offer = try await core { () async throws(CallError) in try await calls.offer(transport: transport) }
            return try ControlParams.encode(SDPResult(sdp: offer.sdp))
        case .callAnswer:
            let request = try ControlParams.decode(SDPParams.self, from: params)
            let summary = try await core { () async throws(CallError) in
                try await calls.answer(sdp: request.sdp, context: request.context)
            }
            return try ControlParams.encode(ControlEncoder.callInfo(summary))
        case .callAccept:
            if params?.objectValue?["sdp"] == nil, let phone {
                let call = try await core { () async throws(CallError) in try await phone.answer() }
                return try ControlParams.encode(ControlEncoder.callInfo(call, summary: calls.snapshot.summary))
            }
            let request = try ControlParams.decode(SDPParams.self, from: params)
            let answer = try await core { () async throws(CallError) in try await calls.accept(sdp: request.sdp, context: request.context) }
            return try ControlParams.encode(SDPResult(sdp: answer))
        case .callHangup:
            if let phone, await phone.hangup() { return try ControlParams.encode(HangupResult(ended: true)) }
            guard await calls.hangup() else { throw .noActiveCall() }
            return try ControlParams.encode(HangupResult(ended: true))
        case .callDTMF:
            let request = try ControlParams.decode(DTMFParams.self, from: params)
            let digits: DTMFDigits
            do { digits = try DTMFDigits(request.digits, durationMs: request.durationMs) } catch { throw .invalidParams(error.description) }
            if let phone, let sent = try await core({ () async throws(CallError) in try await phone.sendDigits(digits) }) {
                return try ControlParams.encode(DTMFResult(queued: sent))
            }
            let queued = try await core { () async throws(CallError) in try await calls.dtmf(digits) }
            return try ControlParams.encode(DTMFResult(queued: queued))
        case .callDial:
            let request = try ControlParams.decode(DialParams.self, from: params)
            let call = try await core { () async throws(CallError) in try await line().dial(request.uri) }
            return try ControlParams.encode(ControlEncoder.callInfo(call, summary: nil))
        case .callReject:
            let request = try ControlParams.decode(RejectParams.self, from: params ?? .object([:]))
            let code = request.code ?? 486
            guard code == 486 || code == 603 else { throw .invalidParams("code must be 486 or 603") }
            try await core { () async throws(CallError) in try await line().reject(status: code) }
            return try ControlParams.encode(RejectResult(rejected: true))
        case .callHold, .callResume:
            let hold = ControlMethod(rawValue: method) == .callHold
            let call = try await core { () async throws(CallError) in
                hold ? try await line().hold() : try await line().resume()
            }
            return try ControlParams.encode(ControlEncoder.callInfo(call, summary: calls.snapshot.summary))
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

    /// The SIP line, or 1006 when SIP is not enabled.
    private func line() throws(CallError) -> any PhoneLine {
        guard let phone else { throw CallError(code: .notRegistered, message: "SIP is not enabled (sip.enabled: true)") }
        return phone
    }

    /// Runs a call core step; its refusal becomes the JSON-RPC error.
    private func core<T>(_ step: () async throws(CallError) -> T) async throws(ControlError) -> T {
        do { return try await step() } catch { throw ControlEncoder.error(error) }
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
        try ControlParams.encode(ControlEncoder.status(mute: mute.state, call: calls.snapshot, signaling: signaling?.status,
                                                       device: device?.status, phone: phone?.status))
    }
}

extension SDPParams {
    /// The platform's identity of the call, as the request gives it.
    var context: PlatformCallContext {
        PlatformCallContext(sessionID: sessionId, conversationID: conversationId, participantID: participantId)
    }
}
