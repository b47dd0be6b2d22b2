import CallControl
import ControlProtocol
import Foundation
import MediaCore
import MediaEngine
import PlatformSync

/// The control socket's one encoder: the call core's typed values (events, the current call,
/// errors) and the platform's status, as the control protocol writes them (SPEC §3, §4).
///
/// An event and `status` name the same thing the same way because both are built here,
/// from the same wire structs: `callStarted`'s `remote`/`localPort` are `status.call`'s,
/// and the `signaling` event's members are `status.signaling`'s.
package enum ControlEncoder {
    // MARK: Events

    /// A call core event as a notification's type and members; nil for events the control
    /// protocol does not carry (state changes).
    static func event(_ event: CallControlEvent) -> (type: ControlEventType, fields: [String: JSONValue])? {
        switch event {
        case .call(.stateChanged):
            return nil
        case .call(.started(let summary, let muted, let mode)):
            let call = object(callInfo(summary))
            var fields: [String: JSONValue] = ["muted": .bool(muted), "mode": .string(mode.wire.rawValue)]
            for key in ["remote", "localPort"] { fields[key] = call[key] }
            return (.callStarted, fields)
        case .call(.ended(let id, let reason, let status)):
            var fields: [String: JSONValue] = ["reason": .string(reason.rawValue), "id": .string(id.description)]
            if let status { fields["status"] = .number(Double(status)) }
            return (.callEnded, fields)
        case .call(.dtmf(_, let digit, let duration)):
            return (.dtmf, ["digit": .string(String(digit)), "durationMs": .number(Double(duration))])
        case .call(.speakingWhileMuted):
            return (.speakingWhileMuted, ["muted": .bool(true)])
        case .mute(let change):
            var fields: [String: JSONValue] = [
                "muted": .bool(change.state.muted), "source": .string(change.state.source.wire.rawValue),
                "mode": .string(change.state.mode.wire.rawValue),
            ]
            if let reason = change.reason { fields["reason"] = .string(reason.rawValue) }
            return (change.change.eventType, fields)
        case .device(.error(let message, let mixer)):
            var fields: [String: JSONValue] = ["error": .string(message)]
            if let mixer { fields["mixer"] = .string(mixer) }
            return (.deviceError, fields)
        case .phone(.registration(let status)):
            var fields: [String: JSONValue] = ["state": .string(status.state.rawValue), "aor": .string(status.aor)]
            if let reason = status.reason { fields["reason"] = .string(reason) }
            if let expires = status.expiresIn { fields["expiresIn"] = .number(Double(expires)) }
            return (.registration, fields)
        case .phone(.incomingCall(let call, let autoAnswer)):
            var fields = object(callInfo(call, summary: nil))
            fields["from"] = .string(call.from)
            fields["callId"] = .string(call.callID)
            if let display = call.display { fields["display"] = .string(display) }
            fields["autoAnswer"] = .bool(autoAnswer)
            return (.incomingCall, fields)
        case .phone(.callProgress(let call, let status)):
            var fields = object(callInfo(call, summary: nil))
            fields["status"] = .number(Double(status))
            return (.callProgress, fields)
        case .device(.recovered(let device, let mixer)):
            var fields: [String: JSONValue] = ["device": .string(device)]
            if let mixer { fields["mixer"] = .string(mixer) }
            return (.deviceRecovered, fields)
        }
    }

    /// The `signaling` event: `status.signaling`'s members (`state`, `sessionId`,
    /// `conversationId`, `participantId`, `lastError`), the channel's state, and `error`
    /// (the name this event has always used for `lastError`).
    static func signalingEvent(_ status: SignalingStatus) -> [String: JSONValue] {
        let info = object(signalingInfo(status))
        var fields: [String: JSONValue] = [:]
        for key in ["state", "sessionId", "conversationId", "participantId", "lastError"] { fields[key] = info[key] }
        if let channel = status.channel { fields["channel"] = .string(channel.state.rawValue) }
        if let error = status.lastError { fields["error"] = .string(error) }
        return fields
    }

    // MARK: Errors

    /// A call core refusal as the JSON-RPC error of SPEC §4 (1001–1005, -32602, -32603).
    static func error(_ error: CallError) -> ControlError {
        switch error.code {
        case .noActiveCall: .noActiveCall(error.message)
        case .callAlreadyActive: .callAlreadyActive(error.message)
        case .badSDP: .badSDP(error.message)
        case .deviceUnavailable: .deviceUnavailable(error.message)
        case .invalidArgument: .invalidParams(error.message)
        case .notRegistered: ControlError(code: ControlError.Code.sipNotRegistered, message: error.message)
        case .farEndRefused: ControlError(code: ControlError.Code.sipRefused, message: error.message)
        default: .internalError(error.message)
        }
    }

    // MARK: Status

    /// The `status` object.
    static func status(mute state: MuteState, call: CallSnapshot, signaling: SignalingStatus?, device: DeviceSyncStatus? = nil,
                       phone: PhoneStatus? = nil) -> StatusResult {
        let current = call.current
        var info = current.map { callInfo($0.summary, webrtc: $0.webrtc) }
        if let line = phone?.call {
            info = callInfo(line, summary: current?.summary, webrtc: current?.webrtc)
        }
        return StatusResult(
            muted: state.muted,
            source: state.source.wire,
            mode: state.mode.wire,
            call: info,
            signaling: signalingInfo(signaling),
            stats: stats(current?.media.statistics.snapshot, scheduling: current?.media.scheduling.current),
            device: device.map(deviceInfo),
            sip: phone.map(sipInfo))
    }

    /// A SIP call as `status.call` shows it: the running media's details once it runs.
    package static func callInfo(_ call: PhoneCall, summary: CallSummary?, webrtc: WebRTCTransportStatus? = nil) -> CallInfo {
        var info: CallInfo
        if let summary, summary.id == call.id {
            info = callInfo(summary, webrtc: webrtc)
        } else {
            info = CallInfo(remote: call.remote, localPort: 0, suite: "", direction: .sendrecv, startedAt: "")
            info.transport = "sdes"
        }
        info.id = call.id.description
        info.state = call.state == "connected" && summary?.direction != nil && summary?.direction != .sendrecv ? "held" : call.state
        info.sip = SIPCallInfo(callId: call.callID, from: call.from, to: call.to, display: call.display, direction: call.direction.rawValue)
        return info
    }

    /// `status.sip`.
    static func sipInfo(_ status: PhoneStatus) -> SIPInfo {
        let registration = status.registration
        return SIPInfo(registration: registration?.state.rawValue ?? "off", aor: registration?.aor, registrar: registration?.registrar,
                       contact: registration?.contact, reason: registration?.reason, expiresIn: registration?.expiresIn,
                       listen: status.listening)
    }

    /// A call as `status.call` and the results of `call.start` and `call.answer` show it; a
    /// WebRTC call's transport state when it is given.
    package static func callInfo(_ summary: CallSummary, webrtc status: WebRTCTransportStatus? = nil) -> CallInfo {
        var info = CallInfo(remote: summary.remote, localPort: Int(summary.localPort), suite: summary.suite?.rawValue ?? "DTLS-SRTP",
                            direction: CallDirection(summary.direction), startedAt: ControlTimestamp.format(summary.startedAt),
                            sessionId: summary.context.sessionID)
        info.transport = summary.transport.rawValue
        info.codec = summary.codec.rawValue
        info.id = summary.id.description
        info.state = summary.direction == .sendrecv ? "connected" : "held"
        guard let status else { return info }
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

    static func signalingInfo(_ status: SignalingStatus?) -> SignalingInfo {
        guard let status else { return SignalingInfo(profile: .none, state: .off) }
        return SignalingInfo(
            profile: signalingProfile(status.profile), state: signalingState(status.state), sessionId: status.sessionID,
            lastError: status.lastError, lastSyncAt: status.lastSyncAt.map(ControlTimestamp.format), platformMuted: status.platformMuted,
            conversationId: status.conversationID, participantId: status.participantID,
            channel: status.channel.map { ChannelInfo(state: $0.state.rawValue, since: ControlTimestamp.format($0.since)) })
    }

    /// The wire's profile for the platform sync's own kind: exhaustive, so a new kind is a
    /// compile error here rather than a silent default. A service between runs (stopped, not
    /// yet started) has no profile and has always shown `sessions`.
    static func signalingProfile(_ kind: SignalingProfileKind?) -> ControlProtocol.SignalingProfile {
        switch kind {
        case .sessions?, nil: .sessions
        case .genesys?: .genesys
        case .none?: .none
        }
    }

    /// The wire's state for the platform sync's own state: exhaustive, no fallback.
    static func signalingState(_ state: SignalingStatus.State) -> SignalingState {
        switch state {
        case .off: .off
        case .idle: .idle
        case .synced: .synced
        case .pending: .pending
        case .retrying: .retrying
        case .failed: .failed
        }
    }

    static func deviceInfo(_ status: DeviceSyncStatus) -> DeviceInfo {
        let sync: DeviceSyncState = switch status.sync {
        case .active: .active
        case .noSwitch: .noSwitch
        case .unavailable: .unavailable
        case .disabled: .disabled
        case .none: .none
        }
        return DeviceInfo(mixer: status.mixer, element: status.element, switch: status.switchOn, sync: sync, error: status.error)
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

    /// A wire struct's members, as its encoding names them.
    private static func object(_ value: some Encodable) -> [String: JSONValue] {
        (try? JSONValue(encoding: value))?.objectValue ?? [:]
    }
}

extension MuteChange {
    /// The control protocol's event for this change (the same four names).
    var eventType: ControlEventType {
        switch self {
        case .mute: .mute
        case .unmute: .unmute
        case .remoteMute: .remoteMute
        case .remoteUnmute: .remoteUnmute
        }
    }
}

extension CallDirection {
    init(_ direction: MediaDirection) {
        switch direction {
        case .sendrecv: self = .sendrecv
        case .sendonly: self = .sendonly
        case .recvonly: self = .recvonly
        case .inactive: self = .inactive
        }
    }
}
