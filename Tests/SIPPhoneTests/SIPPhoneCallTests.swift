import CallControl
import DaemonTestSupport
import Foundation
import Logging
import MediaCore
import MediaEngine
import SIPPhone
import Synchronization
import Testing

/// Two of softphoned's SIP user agents in one process, each on its own call core with real
/// media on loopback: auto-answer by header, the conversation header reaching the platform,
/// our own hold and resume, DTMF, BYE.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SIPPhoneCallTests {
    /// The platform seam, recording what it is told.
    final class RecordingPlatform: PlatformCallSync {
        let contexts = Mutex<[PlatformCallContext]>([])
        func callStarted(_ context: PlatformCallContext) { contexts.withLock { $0.append(context) } }
        func callEnded() {}
    }

    /// Every event of a core, in order.
    final class Recorder: Sendable {
        private let events = Mutex<[CallControlEvent]>([])
        func append(_ event: CallControlEvent) { events.withLock { $0.append(event) } }
        var all: [CallControlEvent] { events.withLock { $0 } }
    }

    struct Phone {
        let phone: SIPPhone
        let calls: CallController
        let events: CallEventHub
        let port: UInt16
        let recorded: Recorder
    }

    static func freePort() throws -> UInt16 {
        try UDPSocket(localPort: 0, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true).localAddress.port
    }

    static func makePhone(tone: Double, autoAnswer: AutoAnswerPolicy, conversationHeader: String = "", dtmf: SIPDTMFMode = .rfc4733,
                          platform: (any PlatformCallSync)? = nil) async throws -> Phone {
        var settings = CallSettings()
        settings.audioSource = .tone(hertz: tone)
        settings.audioPlayback = .none
        settings.mediaTimeoutSeconds = 0
        settings.bindLoopbackOnly = true
        let events = CallEventHub()
        var logger = Logger(label: "test.sip")
        logger.logLevel = .warning
        let mute = MuteController(initial: false, mode: .silence, persistAcrossCalls: false, events: events)
        let calls = CallController(settings: settings, mute: mute, events: events, platform: platform, logger: logger)
        let port = try freePort()
        let phone = SIPPhone(settings: SIPSettings(listen: [SIPListenAddress(transport: .udp, host: "127.0.0.1", port: port)],
                                                   dtmf: dtmf, autoAnswer: autoAnswer, conversationHeader: conversationHeader,
                                                   runtimeDirectory: NSTemporaryDirectory()),
                             calls: calls, events: events, logger: logger)
        try await phone.start()
        let recorded = Recorder()
        events.addSink { recorded.append($0) }
        return Phone(phone: phone, calls: calls, events: events, port: port, recorded: recorded)
    }

    @Test("auto-answer by Call-Info, the conversation id to the platform, our hold and resume, DTMF, the far end's BYE")
    func callBetweenTwoPhones() async throws {
        let platform = RecordingPlatform()
        let agent = try await Self.makePhone(tone: 440, autoAnswer: .header, conversationHeader: "X-Conversation-Id", platform: platform)
        let caller = try await Self.makePhone(tone: 660, autoAnswer: .off)
        defer { Task { await agent.phone.stop(); await caller.phone.stop() } }

        _ = try await caller.phone.dial("sip:agent@127.0.0.1:\(agent.port)",
                                         headers: ["Call-Info: <sip:127.0.0.1>;answer-after=0", "X-Conversation-Id: conv-42"])
        #expect(try await eventually(timeout: .seconds(5)) { agent.calls.snapshot.summary != nil && caller.calls.snapshot.summary != nil })
        #expect(platform.contexts.withLock { $0 } == [PlatformCallContext(conversationID: "conv-42")])
        #expect(agent.recorded.all.contains {
            if case .phone(.incomingCall(let call, let autoAnswer)) = $0 { call.direction == .incoming && autoAnswer } else { false }
        })
        #expect(agent.phone.status.call?.state == "connected")

        // Our hold: the caller is told sendonly and answers recvonly; resume brings sendrecv back.
        let held = try await agent.phone.hold()
        #expect(held.state == "held")
        #expect(caller.calls.snapshot.summary?.direction == .recvonly)
        let resumed = try await agent.phone.resume()
        #expect(resumed.state == "connected")
        #expect(caller.calls.snapshot.summary?.direction == .sendrecv)

        // DTMF from the agent, RFC 4733 between the two (telephone-event at the Opus clock).
        let digits = try DTMFDigits("19#", durationMs: nil)
        #expect(try await agent.phone.sendDigits(digits) == 3)
        #expect(try await eventually(timeout: .seconds(5)) {
            caller.recorded.all.compactMap { if case .call(.dtmf(_, let digit, _)) = $0 { digit } else { nil } } == ["1", "9", "#"] as [Character]
        })

        // The caller hangs up: the agent's call ends with reason bye.
        #expect(await caller.phone.hangup())
        #expect(try await eventually(timeout: .seconds(5)) {
            agent.recorded.all.contains { if case .call(.ended(_, .bye, _)) = $0 { true } else { false } }
        })
        #expect(agent.calls.snapshot.summary == nil)
        #expect(agent.phone.status.call == nil)
    }

    @Test("sip.dtmf info: digits go as SIP INFO application/dtmf-relay, and arrive as dtmf events; call.hangup's BYE ends both")
    func dtmfAsInfo() async throws {
        let agent = try await Self.makePhone(tone: 440, autoAnswer: .always, dtmf: .info)
        let caller = try await Self.makePhone(tone: 660, autoAnswer: .off)
        defer { Task { await agent.phone.stop(); await caller.phone.stop() } }
        _ = try await caller.phone.dial("sip:agent@127.0.0.1:\(agent.port)")
        #expect(try await eventually(timeout: .seconds(5)) { agent.calls.snapshot.summary != nil && caller.calls.snapshot.summary != nil })
        #expect(try await agent.phone.sendDigits(try DTMFDigits("4*", durationMs: 160)) == 2)
        #expect(try await eventually(timeout: .seconds(5)) {
            caller.recorded.all.compactMap { if case .call(.dtmf(_, let digit, let ms)) = $0 { "\(digit)/\(ms)" } else { nil } } == ["4/160", "*/160"]
        })
        #expect(await agent.phone.hangup())
        #expect(try await eventually(timeout: .seconds(5)) {
            caller.recorded.all.contains { if case .call(.ended(_, .bye, _)) = $0 { true } else { false } }
        })
    }
}
