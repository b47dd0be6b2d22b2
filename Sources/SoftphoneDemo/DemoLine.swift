import CallControl
import ControlProtocol
import Foundation
import MediaCore
import MediaEngine
import NIOHTTP1
import SIPPhone
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
    /// The in-process far end: a SIP caller of its own.
    let sipFarEnd: DemoSIPFarEnd
    /// softphoned's SIP address, which the far end dials.
    let agentURI: String
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

    init(daemon: Daemon, sipFarEnd: DemoSIPFarEnd, agentURI: String, output: @escaping @Sendable (String) -> Void) {
        self.daemon = daemon
        self.sipFarEnd = sipFarEnd
        self.agentURI = agentURI
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

    /// The in-process far end calls the agent over SIP (a new dialog, its own keys and SSRC, so
    /// nothing of an earlier call carries over); the agent's phone answers it by itself.
    @discardableResult
    func callInProcess() async throws -> InProcess {
        try await sipFarEnd.call(agentURI)
        // Answered at once: both ends' media run within a few milliseconds.
        for _ in 0..<250 {
            if let media = sipFarEnd.media, let call = daemon.calls.snapshot.summary {
                let current = InProcess(media: media, call: ControlEncoder.callInfo(call))
                state.withLock { $0 = current }
                farEnd = .inProcess
                return current
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = await sipFarEnd.phone.hangup()
        throw DemoRunner.PageError(description: "the agent's phone did not answer the far end's SIP call within 5 s")
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
        await stopInProcess()
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
    func stop() async {
        await stopInProcess()
        await sipFarEnd.phone.stop()
    }

    private func backToInProcess() async {
        do {
            try await callInProcess()
        } catch {
            farEnd = .inProcess
            output("\r\u{1B}[K▶ the in-process far end could not be called again: \(error)\n")
        }
    }

    /// The far end's call is over (the agent's BYE, or the demo's end): its totals are kept.
    private func stopInProcess() async {
        guard let current = state.withLock({ state in defer { state = nil }; return state }) else { return }
        _ = await sipFarEnd.phone.hangup()
        finished.withLock { $0.add(current.media.statistics.snapshot) }
    }
}
