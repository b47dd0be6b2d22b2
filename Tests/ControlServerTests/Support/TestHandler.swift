import ControlProtocol
import ControlServer
import Synchronization

/// A fixture of the protocol: keeps a mute flag, publishes mute events, and has a slow method
/// (`call.offer`) and failing ones to exercise the server's error paths.
final class TestHandler: ControlRequestHandler {
    let bus: EventBus
    private let state = Mutex<(muted: Bool, mode: MuteMode)>((false, .silence))

    init(bus: EventBus) {
        self.bus = bus
    }

    var muted: Bool { state.withLock { $0.muted } }

    func handle(method: String, params: JSONValue?, peer: PeerCredentials) async throws(ControlError) -> JSONValue {
        switch ControlMethod(rawValue: method) {
        case .mute:
            let params = try ControlParams.decode(MuteParams.self, from: params)
            set(muted: true, mode: params.mode)
        case .unmute:
            set(muted: false, mode: nil)
        case .toggle:
            set(muted: !muted, mode: nil)
        case .status:
            break
        case .callStart:
            _ = try ControlParams.decode(CallStartParams.self, from: params)
            throw ControlError.deviceUnavailable("no capture device in this test")
        case .callOffer:
            // Slow on purpose: clients can vanish while it runs.
            try? await Task.sleep(for: .milliseconds(300))
            return try ControlParams.encode(SDPResult(sdp: "v=0\r\n"))
        case .callAccept, .callAnswer:
            _ = try ControlParams.decode(SDPParams.self, from: params)
            throw ControlError.badSDP("no m=audio line")
        case .callHangup, .callDTMF, .callReject, .callHold, .callResume:
            throw ControlError.noActiveCall()
        case .callDial:
            throw ControlError(code: ControlError.Code.sipNotRegistered, message: "SIP is not enabled")
        case .authSetToken, .authLogin, .authLoginWait:
            throw ControlError.invalidParams("no signaling in this test")
        case .subscribe, .none:
            throw ControlError.internalError("the server should not pass \(method) here")
        }
        return try ControlParams.encode(status())
    }

    func status() -> StatusResult {
        let (muted, mode) = state.withLock { ($0.muted, $0.mode) }
        return StatusResult(
            muted: muted, source: .local, mode: mode, call: nil,
            signaling: SignalingInfo(profile: .none, state: .off), stats: StatsInfo())
    }

    private func set(muted newValue: Bool, mode: MuteMode?) {
        let changed = state.withLock { state in
            if let mode { state.mode = mode }
            guard state.muted != newValue else { return false }
            state.muted = newValue
            return true
        }
        if changed {
            bus.publish(
                type: newValue ? .mute : .unmute,
                fields: ["muted": .bool(newValue), "source": .string("local")])
        }
    }
}
