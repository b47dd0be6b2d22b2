import CallControl
import ControlProtocol
import Foundation
import MediaCore
import MediaEngine
import NIOHTTP1
import SoftphoneDaemon
import Synchronization

/// Who the demo's agent is talking to: the in-process SDES far end, or a browser over WebRTC.
///
/// A browser's offer (`POST /offer`) hangs the in-process call up and is accepted with
/// `calls.accept`; when the browser's call ends (hangup, page closed and consent lost, ICE
/// failure) the in-process far end is called again. The demo never touches the mute state
/// here: a switch is a call end and a call start, with the daemon's usual rule (SPEC §3:
/// the state resets to `mute.initial` at call end).
actor DemoLine {
    enum FarEnd: Sendable, Equatable { case inProcess, browser }

    private let daemon: Daemon
    private let output: @Sendable (String) -> Void
    private(set) var farEnd: FarEnd = .inProcess
    /// True while an offer is being answered: the `callEnded` of the call it replaces is not
    /// the browser leaving, and a second offer meanwhile is refused.
    private var switching = false
    private let state = Mutex<InProcess?>(nil)
    private let finished = Mutex(Totals())

    /// The in-process far end's media and the call the agent has with it.
    struct InProcess: Sendable {
        let media: CallMedia
        let call: CallInfo
    }

    init(daemon: Daemon, output: @escaping @Sendable (String) -> Void) {
        self.daemon = daemon
        self.output = output
    }

    /// The in-process far end while it is in the call (nil while a browser is).
    nonisolated var inProcess: InProcess? { state.withLock { $0 } }

    /// What the in-process far ends received over the whole demo.
    struct Totals: Sendable {
        var packetsReceived: UInt64 = 0
        var sequenceFaults: UInt64 = 0
        var authFailures: UInt64 = 0

        mutating func add(_ s: MediaStatistics.Snapshot) {
            packetsReceived += s.packetsReceived
            sequenceFaults += s.sequenceFaults
            authFailures += s.authFailures
        }
    }

    /// The in-process far ends' totals, including the current one's.
    nonisolated var totals: Totals {
        var totals = finished.withLock { $0 }
        if let current = inProcess { totals.add(current.media.statistics.snapshot) }
        return totals
    }

    /// Calls a new in-process far end: its own socket, keys and SSRC, so nothing of an
    /// earlier call (SRTP replay windows, sequence numbers) carries over.
    @discardableResult
    func callInProcess() async throws -> InProcess {
        let agentKey = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let farKey = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let agentPort = try UDPSocket(localPort: 0, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true).localAddress.port
        let media = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: SocketAddress(host: "127.0.0.1", port: agentPort), bindLoopbackOnly: true, sendKey: farKey, receiveKey: agentKey,
                source: .tone(hertz: 660), playback: .none, cname: "far-end", mediaTimeoutSeconds: 0))
        media.start()
        do {
            let call = try await daemon.calls.start(remote: media.localAddress, key: agentKey, remoteKey: farKey, localPort: agentPort)
            let current = InProcess(media: media, call: ControlEncoder.callInfo(call))
            state.withLock { $0 = current }
            farEnd = .inProcess
            return current
        } catch {
            media.stop()
            throw error
        }
    }

    /// `POST /offer`: the browser's WebRTC offer replaces whatever call runs; the answer goes back.
    func acceptBrowser(offer sdp: String) async -> DemoBrowserServer.Response {
        guard WebRTCNegotiator.isWebRTC(sdp) else {
            return .text(.badRequest, "the body must be a WebRTC SDP offer (ICE and DTLS-SRTP), as RTCPeerConnection.createOffer() writes it")
        }
        guard !switching else { return .text(.conflict, "another offer is being answered; try again") }
        switching = true
        defer { switching = false }
        // `hangup`: the reasons of `callEnded` are SPEC names; the demo's output says why.
        await daemon.calls.hangup()
        stopInProcess()
        do {
            let answer = try await daemon.calls.accept(sdp: sdp)
            farEnd = .browser
            output("\r\u{1B}[K▶ a browser joined the call as the far end (WebRTC); the in-process far end has hung up\n")
            return DemoBrowserServer.Response(status: .ok, contentType: "application/sdp", body: answer)
        } catch {
            output("\r\u{1B}[K▶ the browser's offer was refused (\(error.message)); calling the in-process far end again\n")
            await backToInProcess()
            return .text(error.code == .badSDP ? .badRequest : .serviceUnavailable, error.message)
        }
    }

    /// A `callEnded` event: if it was the browser's call, the in-process far end is called again.
    func callEnded() async {
        guard !switching, farEnd == .browser, daemon.currentCall == nil else { return }
        output("\r\u{1B}[K▶ the browser's call ended; calling the in-process far end again\n")
        await backToInProcess()
    }

    /// Stops the in-process far end (the demo's end).
    func stop() {
        stopInProcess()
    }

    private func backToInProcess() async {
        do {
            try await callInProcess()
        } catch {
            farEnd = .inProcess
            output("\r\u{1B}[K▶ the in-process far end could not be called again: \(error)\n")
        }
    }

    private func stopInProcess() {
        guard let current = state.withLock({ state in defer { state = nil }; return state }) else { return }
        current.media.stop()
        finished.withLock { $0.add(current.media.statistics.snapshot) }
    }
}
