import CallControl
import ControlProtocol
import ControlServer
import Foundation
import Logging
import MediaCore
import MediaEngine
import NIOHTTP1
import PlatformSync
import SIPPhone
import SoftphoneDaemon

/// `softphoned --demo`: the whole product on one machine with its embedded defaults.
///
/// A tone stands in for the agent's microphone, an in-process far end (its own UDP socket,
/// libsrtp, libopus) decodes what arrives and sends a tone back, the project's emulator of
/// the platform runs as a process of its own (`softphone-api-emulator`, profile `genesys`
/// or `sessions`), and a real control socket serves `softphonectl` beside it. A script
/// mutes and unmutes in both modes and plays a supervisor's remote mute, so the whole cycle
/// is visible on the status line and in the event log.
public struct DemoRunner: Sendable {
    /// Which platform the demo signals to.
    public enum Profile: String, Sendable, CaseIterable {
        /// Genesys Cloud: participant PATCH and the notifications WebSocket.
        case genesys
        /// The tutorial's interactive-sessions REST contract, polled.
        case sessions
    }

    let duration: Double?
    let profile: Profile
    /// Whether the scripted mutes run; without them mute is driven only from the control
    /// socket (`softphonectl`, a desktop app or the browser page's viewer).
    let scripted: Bool
    /// The browser page's port on 127.0.0.1; 0 takes any free port.
    let httpPort: Int
    let output: @Sendable (String) -> Void

    /// The page's port unless `--demo-http-port` says otherwise.
    public static let defaultHTTPPort = 8088

    public init(duration: Double?, profile: Profile = .genesys, httpPort: Int = DemoRunner.defaultHTTPPort,
                scripted: Bool = true,
                output: @escaping @Sendable (String) -> Void = { line in
        FileHandle.standardOutput.write(Data(line.utf8))
    }) {
        self.duration = duration
        self.profile = profile
        self.scripted = scripted
        self.httpPort = httpPort
        self.output = output
    }

    /// The browser page's server could not listen.
    public struct PageError: Error, CustomStringConvertible {
        public let description: String
    }

    /// One step of the scripted cycle.
    struct Step: Sendable {
        let at: Double
        let label: String
        let action: Action
        enum Action: Sendable { case mute(MediaCore.MuteMode), unmute, supervisorMute(Bool), hold, resume, dtmf(String) }
    }

    static let script: [Step] = [
        Step(at: 4, label: "agent mutes (silence mode)", action: .mute(.silence)),
        Step(at: 8, label: "agent unmutes", action: .unmute),
        Step(at: 12, label: "agent mutes (disable mode: no RTP while muted)", action: .mute(.disable)),
        Step(at: 16, label: "agent unmutes", action: .unmute),
        Step(at: 20, label: "a supervisor mutes the agent on the platform", action: .supervisorMute(true)),
        Step(at: 25, label: "the supervisor unmutes the agent", action: .supervisorMute(false)),
        Step(at: 28, label: "agent puts the caller on hold (re-INVITE sendonly)", action: .hold),
        Step(at: 31, label: "agent resumes the call (re-INVITE sendrecv)", action: .resume),
        Step(at: 33, label: "agent sends DTMF 1 2 3 (RFC 4733)", action: .dtmf("123")),
    ]
    static let cycleSeconds = 36.0

    public func run() async throws {
        let userID = "agent-demo"
        let memoryBefore = Self.memory(pid: getpid())
        let emulator = try await EmulatorProcess.start(arguments: profile == .genesys
            ? ["--profile", "genesys", "--user-id", userID, "--apply-delay-ms", "150", "--start-call"]
            : ["--profile", "sessions", "--user-id", userID, "--auto-create-sessions"])
        let apiPort = emulator.port

        let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("softphoned-demo-\(getpid())")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var configuration = DaemonConfiguration()
        configuration.audioSource = .tone(hertz: 440)
        configuration.audioPlayback = .none
        configuration.controlSocket = runtime.appendingPathComponent("control.sock").path
        configuration.mediaTimeoutSeconds = 0
        // The phone: listening on loopback, answering by itself when the caller asks (the far end does).
        let agentPort = try DemoSIPFarEnd.freeUDPPort()
        configuration.sip = SIPSettings(listen: [SIPListenAddress(transport: .udp, host: "127.0.0.1", port: agentPort)],
                                        autoAnswer: .header, runtimeDirectory: runtime.path)
        // The browser far end runs on this machine: ICE on loopback only.
        configuration.webrtc.interfaces = ["lo"]
        configuration.api.pollIntervalMilliseconds = 500
        configuration.api.userID = userID
        var conversationID: String?
        switch profile {
        case .genesys:
            configuration.api.profile = .genesys
            configuration.api.baseURL = "http://127.0.0.1:\(apiPort)/api/v2"
            configuration.api.loginURL = "http://127.0.0.1:\(apiPort)"
            configuration.api.grant = .userToken
            configuration.api.userID = nil
            let calls = try await emulator.admin(.GET, "/__emulator/conversations")
            conversationID = (calls["entities"] as? [[String: Any]])?.first?["id"] as? String
        case .sessions:
            configuration.api.profile = .sessions
            configuration.api.baseURL = "http://127.0.0.1:\(apiPort)/api/v2"
            configuration.api.tokenURL = "http://127.0.0.1:\(apiPort)/oauth/token"
            configuration.api.clientID = "softphone"
            configuration.api.clientSecret = "softphone-secret"
        }
        // The emulator is on this machine: retries come quickly.
        configuration.api.backoffBaseMilliseconds = 200
        configuration.api.backoffMaxMilliseconds = 2_000
        let daemon = try Daemon(configuration: configuration, configPath: nil, logger: Logger(label: "softphoned.demo"))
        if profile == .genesys {
            // What the agent desktop does once it is logged in: hand its user token over.
            let issued = try await emulator.admin(.POST, "/__emulator/tokens", ["userId": userID])
            if let token = issued["access_token"] as? String {
                try daemon.signaling?.setToken(Secret(token), expiresIn: .seconds(issued["expires_in"] as? Int ?? 3600))
            }
        }

        let daemonTask = Task { try await daemon.run() }
        try await daemon.waitUntilServing()
        // The phone binds its SIP port beside the control socket.
        for _ in 0..<250 where daemon.phone?.status.listening.isEmpty ?? false { try await Task.sleep(for: .milliseconds(20)) }
        let sipFarEnd = try DemoSIPFarEnd()
        try await sipFarEnd.start()
        let farEndDigits = sipFarEnd.events.subscribe()
        let digitPrinter = Task {
            for await event in farEndDigits {
                if case .call(.dtmf(_, let digit, let duration)) = event {
                    output("\r\u{1B}[K  far end heard DTMF \(digit) (\(duration) ms)\n")
                }
            }
        }
        let agentURI = "sip:agent@127.0.0.1:\(agentPort)"
        let line = DemoLine(daemon: daemon, sipFarEnd: sipFarEnd, agentURI: agentURI, output: output)
        let first = try await line.callInProcess()
        let farEnd = first.media, call = first.call

        let page: DemoBrowserServer
        do {
            page = try await DemoBrowserServer.bind(port: httpPort, routes: DemoBrowserServer.Routes(
                status: { Self.statusJSON(daemon) },
                offer: { sdp in await line.acceptBrowser(offer: sdp) },
                subscribe: { daemon.events.subscribe() }))
        } catch {
            daemonTask.cancel()
            await line.stop()
            await emulator.stop()
            throw PageError(description: "cannot serve the browser page on 127.0.0.1:\(httpPort) (\(error)); choose another port with --demo-http-port (0: any free port)")
        }
        let pageTask = Task { await page.run() }
        let pageURL = "http://127.0.0.1:\(page.port)/"

        let socket = daemon.socketPath ?? ""
        output("""
            softphoned demo — a whole call on this machine
              agent microphone : 440 Hz tone (audio.source tone:440)
              far end          : in-process SIP caller at sip:far-end@127.0.0.1:\(sipFarEnd.address.port ?? 0): called \(agentURI) (answered by itself), decrypts (libsrtp) and decodes (libopus), sends 660 Hz back
              call             : 127.0.0.1:\(call.localPort) ⇄ \(call.remote), SRTP \(call.suite), Opus 32 kb/s, 20 ms
              platform API     : softphone-api-emulator (pid \(emulator.pid)) at http://127.0.0.1:\(apiPort), profile \(profile.rawValue), user \(userID)\(conversationID.map { ", conversation \($0)" } ?? "")
              browser page     : \(pageURL) — open it to join the call as the far end over WebRTC (ICE on lo, DTLS-SRTP)
              control socket   : \(socket)
                try it:  softphonectl --socket \(socket) status
                         softphonectl --socket \(socket) mute
                         softphonectl --socket \(socket) events --follow
            \(scripted ? "The script mutes and unmutes every few seconds, in both modes, and plays a supervisor's remote mute."
                       : "No script (--no-demo-script): mute and unmute with softphonectl.")\n\n
            """)

        let events = daemon.events.subscribe()
        let eventPrinter = Task {
            for await event in events {
                output("\r\u{1B}[K" + Self.describe(event) + "\n")
                if event.type == .callEnded { await line.callEnded() }
            }
        }
        let start = Date()
        var nextStep = 0
        var cycle = 0.0
        var lastReceived: UInt64 = 0
        var lastTick = start
        let interactive = isatty(STDOUT_FILENO) == 1
        var lastPrinted = -1
        while duration.map({ Date().timeIntervalSince(start) < $0 }) ?? true, !daemonTask.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            let elapsed = Date().timeIntervalSince(start)
            if elapsed - cycle >= Self.cycleSeconds {
                cycle += Self.cycleSeconds
                nextStep = 0
            }
            while scripted, nextStep < Self.script.count, elapsed - cycle >= Self.script[nextStep].at {
                let step = Self.script[nextStep]
                nextStep += 1
                output("\r\u{1B}[K▶ \(step.label)\n")
                switch step.action {
                case .mute(let mode): _ = try? daemon.mute.set(muted: true, source: .local, mode: mode)
                case .unmute: _ = try? daemon.mute.set(muted: false, source: .local)
                case .supervisorMute(let muted):
                    await Self.supervisorMute(muted, profile: profile, emulator: emulator, conversationID: conversationID, userID: userID)
                case .hold: await phoneStep { () async throws(CallError) in _ = try await daemon.phone?.hold() }
                case .resume: await phoneStep { () async throws(CallError) in _ = try await daemon.phone?.resume() }
                case .dtmf(let digits):
                    await phoneStep { () async throws(CallError) in
                        guard let parsed = try? DTMFDigits(digits, durationMs: nil) else { return }
                        if try await daemon.phone?.sendDigits(parsed) == nil { _ = try await daemon.calls.dtmf(parsed) }
                    }
                }
            }
            let far = line.inProcess?.media.statistics.snapshot
            let received = line.totals.packetsReceived
            let now = Date()
            let rate = Double(received &- lastReceived) / max(0.001, now.timeIntervalSince(lastTick))
            lastReceived = received
            lastTick = now
            let status = statusLine(elapsed: elapsed, daemon: daemon, far: far, rate: rate)
            if interactive {
                output("\r\u{1B}[K" + status)
            } else if Int(elapsed) != lastPrinted {
                lastPrinted = Int(elapsed)
                output(status + "\n")
            }
        }
        output("\n")
        events.cancel()
        eventPrinter.cancel()
        digitPrinter.cancel()
        pageTask.cancel()
        page.close()
        daemonTask.cancel()
        _ = try? await daemonTask.value
        let far = line.totals
        await line.stop()
        let memoryAfter = Self.memory(pid: getpid())
        let emulatorMemory = Self.memory(pid: emulator.pid)
        await emulator.stop()
        try? FileManager.default.removeItem(at: runtime)
        output("demo finished: the in-process far end received \(far.packetsReceived) packets, \(far.sequenceFaults) sequence faults, \(far.authFailures) authentication failures.\n")
        output("memory (smaps_rollup): softphoned \(memoryBefore) at start, \(memoryAfter) at the end; the emulator process \(emulatorMemory)\n")
    }

    /// A step of the phone (hold, resume, DTMF); a browser far end has no SIP dialog to hold.
    func phoneStep(_ step: () async throws(CallError) -> Void) async {
        do { try await step() } catch { output("\r\u{1B}[K  (not now: \(error.message))\n") }
    }

    /// A supervisor's (un)mute, through the emulator's control surface.
    static func supervisorMute(_ muted: Bool, profile: Profile, emulator: EmulatorProcess, conversationID: String?, userID: String) async {
        switch profile {
        case .genesys:
            guard let conversationID else { return }
            _ = try? await emulator.admin(.POST, "/__emulator/conversations/\(conversationID)/supervisor-mute", ["muted": muted])
        case .sessions:
            let sessions = (try? await emulator.admin(.GET, "/admin/sessions"))?["sessions"] as? [[String: Any]] ?? []
            guard let session = sessions.last(where: { $0["userId"] as? String == userID && $0["status"] as? String == "active" }),
                  let id = session["id"] as? String else { return }
            _ = try? await emulator.admin(.POST, "/admin/sessions/\(id)/\(muted ? "mute" : "unmute")")
        }
    }

    /// `Rss` and `Pss` of a process from `/proc/PID/smaps_rollup`, e.g. `RSS 21.3 MiB, PSS 18.0 MiB`.
    static func memory(pid: Int32) -> String {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return "unknown" }
        func field(_ name: String) -> Double? {
            for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
                return Double(line.split(separator: " ").dropFirst().first ?? "").map { $0 / 1024 }
            }
            return nil
        }
        let rss = field("Rss").map { String(format: "%.1f MiB", $0) } ?? "?"
        let pss = field("Pss").map { String(format: "%.1f MiB", $0) } ?? "?"
        return "RSS \(rss), PSS \(pss)"
    }

    /// The control socket's `status` object as JSON text (`GET /status`, the first SSE event).
    static func statusJSON(_ daemon: Daemon) -> String {
        (try? ControlParams.encode(daemon.statusResult(includingDevice: false)))?.jsonText ?? "{}"
    }

    /// One line of the demo's state; `far` is nil while a browser is the far end.
    func statusLine(elapsed: Double, daemon: Daemon, far: MediaStatistics.Snapshot?, rate: Double) -> String {
        let state = daemon.mute.state
        let mic = state.muted ? "MUTED (\(state.mode.rawValue), \(state.source.rawValue))" : "LIVE"
        var heard = "far end is the browser (WebRTC)"
        if let far {
            let level = rate < 1 ? "no packets" : (far.outputLevelDBFS <= -119 ? "silence" : String(format: "%.1f dBFS", far.outputLevelDBFS))
            heard = "far end hears \(level)" + String(format: ", %2.0f pkt/s, %llu pkts", rate, far.packetsReceived)
        }
        let agent = daemon.currentCallStatistics
        let back = agent.map { $0.outputLevelDBFS <= -119 ? "silence" : String(format: "%.1f dBFS", $0.outputLevelDBFS) } ?? "-"
        let platform = daemon.signaling.map { s -> String in
            let status = s.status
            let handle = status.conversationID ?? status.sessionID ?? "-"
            let channel = status.channel.map { " ws \($0.state.rawValue)" } ?? ""
            return "platform \(status.state.rawValue) \(handle) muted=\(status.platformMuted.map(String.init) ?? "?")\(channel)"
        } ?? "platform off"
        return String(format: "[%6.1fs] mic %@ | %@ | agent hears %@ | %@", elapsed, mic, heard, back, platform)
    }

    static func describe(_ event: ControlEvent) -> String {
        var parts = ["event #\(event.seq) \(event.type.rawValue)"]
        for key in event.fields.keys.sorted() {
            if let value = event.fields[key] { parts.append("\(key)=\(value.compactDescription)") }
        }
        return "  " + parts.joined(separator: " ")
    }
}

extension JSONValue {
    /// A short rendering for the demo's event log.
    var compactDescription: String {
        switch self {
        case .string(let s): s
        case .bool(let b): String(b)
        case .number(let n): n == n.rounded() ? String(Int(n)) : String(n)
        case .null: "null"
        default: "…"
        }
    }
}
