import DaemonTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MediaCore
import MediaEngine
import Testing

/// The `genesys` profile of the real daemon against `softphone-api-emulator --profile
/// genesys` (HTTP and WebSocket), with the media checked on the wire at the same time.
@Suite("Genesys signaling at daemon level", .serialized)
struct GenesysDaemonTests {
    struct Setup {
        let emulator: APIEmulatorProcess
        let receiver: WireReceiver
        let directory: URL
        let tokenFile: String
        let token: String
        var peer: CallPeer

        func stop() {
            peer.stop()
            receiver.stop()
            emulator.stop()
        }
    }

    static func yaml(receiver: WireReceiver, emulator: APIEmulatorProcess, tokenFile: String) -> String {
        """
        call:
          remote: "127.0.0.1:\(receiver.port)"
          srtp-key: "\(receiver.key.inlineKey)"
          media-timeout: 0
        \(emulator.apiYAML(tokenFile: tokenFile))
        """
    }

    /// Waits until the daemon has found the call and its WebSocket is connected.
    static func waitUntilSynced(_ peer: CallPeer, timeout: Double = 10) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var signaling: [String: Any]?
        while Date() < deadline {
            signaling = CallJSON.object(try await peer.status(), "signaling")
            if signaling?["state"] as? String == "synced", (signaling?["channel"] as? [String: Any])?["state"] as? String == "connected",
               signaling?["conversationId"] != nil {
                return signaling ?? [:]
            }
            try await Task.sleep(for: .seconds(0.05))
        }
        throw DaemonProcessError("the daemon did not sync with the platform: \(String(describing: signaling)) \(peer.daemon.log)")
    }

    static func start(applyDelayMs: Int = 50) async throws -> Setup {
        let emulator = try await APIEmulatorProcess.genesys(applyDelayMs: applyDelayMs)
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        let directory = try DaemonProcess.makeDirectory()
        let tokenFile = directory.appendingPathComponent("genesys-token").path
        let token = try await emulator.writeToken(to: tokenFile)
        let peer = try await CallPeer(tone: 1000, yaml: yaml(receiver: receiver, emulator: emulator, tokenFile: tokenFile))
        let setup = Setup(emulator: emulator, receiver: receiver, directory: directory, tokenFile: tokenFile, token: token, peer: peer)
        do { _ = try await waitUntilSynced(peer) } catch {
            setup.stop()
            throw error
        }
        return setup
    }

    static func seconds(_ from: UInt64, _ to: UInt64) -> Double { Double(Int64(bitPattern: to &- from)) / 1e9 }

    @Test("local mute: one PATCH, confirmed by the event, not remote; a supervisor's mute and unmute: remoteMute/remoteUnmute and silence on the wire")
    func localAndSupervisorMute() async throws {
        let setup = try await Self.start()
        defer { setup.stop() }
        let (emulator, receiver, peer) = (setup.emulator, setup.receiver, setup.peer)
        #expect(try await receiver.wait(forPackets: 10))
        let call = try #require(try await emulator.call())
        let signaling = try await Self.waitUntilSynced(peer)
        #expect(signaling["profile"] as? String == "genesys")
        #expect(signaling["conversationId"] as? String == call.id && signaling["participantId"] as? String == call.participantID)

        #expect(try await peer.control.result("mute")["muted"] as? Bool == true)
        #expect(try await emulator.waitForPlatform(muted: true))
        _ = try await Self.waitUntilSynced(peer)
        try await Task.sleep(for: .seconds(0.3))
        let patches = try await emulator.patches()
        #expect(patches.count == 1)
        #expect(patches.first?["body"] as? String == #"{"muted":true}"# && patches.first?["status"] as? Int == 202)
        #expect(!peer.events.types.contains("remoteMute"), "the daemon's own mute came back as remote")
        #expect(try await peer.control.result("unmute")["muted"] as? Bool == false)
        #expect(try await emulator.waitForPlatform(muted: false))
        _ = try await Self.waitUntilSynced(peer)

        // The supervisor mutes: pushed over the WebSocket, applied, announced, silent on the wire.
        // Measured from the control request's answer (the platform applies it `applyDelayMs`
        // later) to the first packet whose audio is gone (below -60 dBFS) and to the first
        // exactly silent one (after the codec's own tail).
        var muted: [Double] = []
        var silent: [Double] = []
        for round in 0..<5 {
            let mark = peer.events.events.count
            try await emulator.supervisor(muted: true)
            let answeredAt = MonotonicClock.now()
            let remoteMute = try await peer.events.wait(for: "remoteMute", after: mark, timeout: 3)
            #expect(remoteMute?["source"] as? String == "remote" && remoteMute?["muted"] as? Bool == true)
            try await Task.sleep(for: .seconds(0.25))
            let after = receiver.received.filter { $0.arrival > answeredAt }
            let firstQuiet = try #require(after.firstIndex { $0.rmsDBFS < -60 }, "no muted frame after the supervisor's mute")
            let firstSilent = try #require(after.firstIndex { $0.peak == 0 }, "no silent frame after the supervisor's mute")
            muted.append(Self.seconds(answeredAt, after[firstQuiet].arrival) * 1000)
            silent.append(Self.seconds(answeredAt, after[firstSilent].arrival) * 1000)
            #expect(after[firstSilent...].allSatisfy { $0.peak == 0 })
            let unmark = peer.events.events.count
            try await emulator.supervisor(muted: false)
            let unmutedAt = MonotonicClock.now()
            #expect(try await peer.events.wait(for: "remoteUnmute", after: unmark, timeout: 3) != nil)
            try await Task.sleep(for: .seconds(0.25))
            let tone = receiver.received.filter { $0.arrival > unmutedAt }.suffix(5)
            #expect(tone.count == 5 && tone.allSatisfy { $0.rmsDBFS > -25 }, "no tone after the remote unmute (round \(round))")
        }
        muted.sort()
        silent.sort()
        let delay = Double(emulator.applyDelayMs)
        print("measurement: supervisor mute (control answered) -> first muted packet (< -60 dBFS) on the wire, 5 rounds, apply delay \(Int(delay)) ms: median \(String(format: "%.0f", muted[2])) ms, max \(String(format: "%.0f", muted[4])) ms; first exactly silent packet: median \(String(format: "%.0f", silent[2])) ms")
        // The target: 50 ms plus the apply delay.
        #expect(muted[2] <= delay + 50, "supervisor mute took \(muted) ms to reach the wire")
        #expect(peer.events.types.filter { $0 == "remoteMute" }.count == 5)
        #expect(try await emulator.patches().count == 2, "the daemon echoed the supervisor's changes back as PATCHes")

        // The `signaling` events show the WebSocket's state too.
        #expect(peer.events.events.contains {
            $0["type"] as? String == "signaling" && $0["channel"] as? String == "connected" && $0["conversationId"] as? String == call.id
        }, "no signaling event with channel connected: \(peer.events.events.filter { $0["type"] as? String == "signaling" })")
        // No token in the log, the status, the events or a command line.
        #expect(!peer.daemon.log.contains(setup.token), "the token leaked into the daemon's log")
        #expect(!"\(try await peer.status())".contains(setup.token))
        #expect(!peer.events.events.contains { "\($0)".contains(setup.token) })
        #expect(!peer.daemon.command.contains(setup.token))
    }

    @Test("a daemon restart mid-call reconciles the platform's state instead of losing the agent's mute")
    func restartMidCall() async throws {
        var setup = try await Self.start()
        defer { setup.stop() }
        #expect(try await setup.peer.control.result("mute")["muted"] as? Bool == true)
        #expect(try await setup.emulator.waitForPlatform(muted: true))
        _ = try await Self.waitUntilSynced(setup.peer)
        setup.peer.stop()
        // The call goes on on the platform; the daemon comes back with its initial state (live).
        setup.peer = try await CallPeer(tone: 1000, yaml: Self.yaml(receiver: setup.receiver, emulator: setup.emulator, tokenFile: setup.tokenFile))
        _ = try await Self.waitUntilSynced(setup.peer)
        let status = try await setup.peer.status()
        #expect(status["muted"] as? Bool == true, "the restarted daemon unmuted the agent: \(status)")
        #expect(status["source"] as? String == "remote")
        #expect(try await setup.emulator.call()?.muted == true)
        let patches = try await setup.emulator.patches()
        #expect(patches.count == 1 && patches.allSatisfy { $0["body"] as? String == #"{"muted":true}"# }, "the restart sent \(patches)")
        // From the remote mute on (one frame and the codec's delay for what was in flight), silence.
        // The status above already shows it applied; its `remoteMute` event may have gone out
        // before this test's subscriber connected to the restarted daemon.
        try await Task.sleep(for: .seconds(0.06))
        let mark = setup.receiver.received.count
        try await Task.sleep(for: .seconds(0.3))
        #expect(setup.receiver.received[mark...].allSatisfy { $0.peak == 0 }, "the restarted daemon sent the microphone")
    }

    /// softphoned with a static call to `receiver` and the given `api:` section, not yet synced.
    static func peer(receiver: WireReceiver, api: String) async throws -> CallPeer {
        try await CallPeer(tone: 1000, yaml: """
            call:
              remote: "127.0.0.1:\(receiver.port)"
              srtp-key: "\(receiver.key.inlineKey)"
              media-timeout: 0
            \(api)
            """)
    }

    @Test("softphonectl set-token hands the desktop's token over from standard input; the daemon then signs in")
    func setTokenFromStandardInput() async throws {
        let emulator = try await APIEmulatorProcess.genesys()
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { receiver.stop(); emulator.stop() }
        let peer = try await Self.peer(receiver: receiver, api: """
            api:
              profile: genesys
              base-url: "http://127.0.0.1:\(emulator.port)/api/v2"
              login-url: "http://127.0.0.1:\(emulator.port)"
            """)
        defer { peer.stop() }
        let issued = try await emulator.control("POST", "tokens", ["userId": APIEmulatorProcess.genesysUserID]).json as? [String: Any]
        let token = try #require(issued?["access_token"] as? String)
        let input = try TemporaryDirectory.make(prefix: "token")
        defer { try? FileManager.default.removeItem(at: input) }
        let tokenURL = input.appendingPathComponent("token")
        _ = FileManager.default.createFile(atPath: tokenURL.path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let ctl = try ExternalProcess(DaemonProcess.product("softphonectl").path,
                                      ["--socket", peer.daemon.socketPath, "--json", "set-token", "--expires-in", "3600"],
                                      standardInput: tokenURL)
        let exit = try await ctl.finished(within: .seconds(20))
        let answer = exit.standardOutputText
        #expect(exit.succeeded, "\(exit)")
        let result = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
        #expect(result?["accepted"] as? Bool == true && result?["expiresAt"] is String, "\(answer)")
        _ = try await Self.waitUntilSynced(peer)
        #expect(!peer.daemon.log.contains(token))
    }

    @Test("softphonectl login: the PKCE flow through the browser's redirect to the daemon's loopback listener; the refresh token is kept 0600")
    func softphonectlLogin() async throws {
        let emulator = try await APIEmulatorProcess.genesys()
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { receiver.stop(); emulator.stop() }
        let state = try DaemonProcess.makeDirectory().appendingPathComponent("state")
        let peer = try await Self.peer(receiver: receiver, api: """
            api:
              profile: genesys
              base-url: "http://127.0.0.1:\(emulator.port)/api/v2"
              login-url: "http://127.0.0.1:\(emulator.port)"
              grant: pkce
              client-id: softphone
              state-directory: "\(state.path)"
            """)
        defer { peer.stop() }
        let ctl = try ExternalProcess(DaemonProcess.product("softphonectl").path,
                                      ["--socket", peer.daemon.socketPath, "login", "--timeout", "30"])
        defer { ctl.terminate() }
        var text = ""
        var url: String?
        _ = try await eventually(timeout: .seconds(10), poll: .milliseconds(20)) {
            text = String(decoding: ctl.standardOutputSoFar(), as: UTF8.self)
            url = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("http://") && $0.contains("/oauth/authorize?") }
            return url != nil || !ctl.isRunning
        }
        let authorize = try #require(url, "softphonectl printed no URL: \(text)")
        #expect(authorize.contains("code_challenge_method=S256") && authorize.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"))
        // The browser: the authorize page redirects to the daemon's loopback listener.
        let page = try await APIEmulatorProcess.request(session: URLSession(configuration: .ephemeral), "GET", authorize)
        #expect(page.status == 200)
        let exit = try await ctl.finished(within: .seconds(40))
        text = exit.standardOutputText
        #expect(exit.succeeded, "softphonectl login: \(exit) \(text)")
        #expect(text.contains("Logged in"))
        _ = try await Self.waitUntilSynced(peer)
        let file = state.appendingPathComponent("genesys-refresh-token").path
        let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let refresh = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!refresh.isEmpty && !peer.daemon.log.contains(refresh) && !text.contains(refresh))
    }
}
