import CallControl
import Foundation
import Logging
import MediaCore
import MediaEngine
import SIPPhone

/// The demo's far end, calling the agent over SIP: a second user agent in the process — the
/// same `SIPPhone` and call core softphoned runs — on a loopback port of its own, with a
/// 660 Hz tone as its microphone and nothing to play to. It dials softphoned's listening
/// address directly (no registrar) with an auto-answer header, so the agent's phone answers
/// by itself, and it reports the DTMF digits it hears.
final class DemoSIPFarEnd: Sendable {
    let phone: SIPPhone
    let calls: CallController
    let events: CallEventHub
    let address: SIPListenAddress

    init() throws {
        var settings = CallSettings()
        settings.audioSource = .tone(hertz: 660)
        settings.audioPlayback = .none
        settings.mediaTimeoutSeconds = 0
        settings.bindLoopbackOnly = true
        events = CallEventHub()
        var logger = Logger(label: "softphoned.demo.far-end")
        logger.logLevel = .warning
        let mute = MuteController(initial: false, mode: .silence, persistAcrossCalls: false, events: events)
        calls = CallController(settings: settings, mute: mute, events: events, platform: nil, logger: logger)
        address = SIPListenAddress(transport: .udp, host: "127.0.0.1", port: try Self.freeUDPPort())
        phone = SIPPhone(settings: SIPSettings(listen: [address], runtimeDirectory: NSTemporaryDirectory()), calls: calls,
                         events: events, logger: logger)
    }

    func start() async throws {
        do { try await phone.start() } catch { throw error }
    }

    /// Calls the agent at `agent` (`sip:agent@127.0.0.1:PORT`), asking to be answered at once.
    func call(_ agent: String) async throws {
        do { _ = try await phone.dial(agent, headers: ["Call-Info: <sip:127.0.0.1>;answer-after=0"]) } catch { throw error }
    }

    /// The far end's media while its call runs.
    var media: CallMedia? { calls.snapshot.media }

    /// A UDP port free on loopback now (for the SIP listeners of the demo).
    static func freeUDPPort() throws -> UInt16 {
        try UDPSocket(localPort: 0, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true).localAddress.port
    }
}
