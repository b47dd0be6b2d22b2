import DaemonTestSupport
import Foundation
import MediaTestSupport
import Synchronization

/// baresip 1.0.0 as a far end for the SIP tests: headless, driven through `ctrl_tcp`.
///
/// Microphone: `aufile` playing a WAV the caller gives (48 kHz mono; when it ends the
/// microphone stops). Speaker: `aubridge` (silent, no busy loop). `sndfile` dumps each call's
/// decoded received audio (`…-dec.wav`) and what it encoded (`…-enc.wav`) at the codec's rate;
/// the received dump stops at the first hold or codec re-INVITE. Codecs: opus, G.711, G.722;
/// SRTP (SDES) through `mediaenc`. SIP on 127.0.0.1: UDP and TCP on `sipPort`, TLS on `sipPort + 1`.
public final class Baresip: Sendable {
    /// How the account answers incoming calls.
    public enum AnswerMode: String, Sendable {
        case manual, auto
    }

    /// The account line (`accounts` file).
    public struct Account: Sendable {
        public var user: String
        public var password: String?
        /// `host:port` of the registrar; nil: no registration (direct calls to `directURI`).
        public var registrar: String?
        public var transport: SIPTransport
        /// `srtp-mand` (SDES, RTP/SAVP), `srtp`, … or nil for plain RTP.
        public var mediaEncryption: String?
        /// The outbound proxy URI; when nil and there is a registrar, the registrar on `transport`.
        public var outboundProxy: String?
        public var answerMode: AnswerMode
        /// Only these codecs, in baresip's spelling (`opus/48000/1`, `PCMU/8000/1`, `G722/16000/1`);
        /// nil: all (opus, PCMU, PCMA, G722).
        public var audioCodecs: [String]?
        /// Seconds between registrations (baresip refreshes a little before).
        public var registrationInterval: Int

        public init(user: String, password: String? = nil, registrar: String? = nil, transport: SIPTransport = .udp,
                    mediaEncryption: String? = nil, outboundProxy: String? = nil, answerMode: AnswerMode = .manual,
                    audioCodecs: [String]? = nil, registrationInterval: Int = 10) {
            self.user = user
            self.password = password
            self.registrar = registrar
            self.transport = transport
            self.mediaEncryption = mediaEncryption
            self.outboundProxy = outboundProxy
            self.answerMode = answerMode
            self.audioCodecs = audioCodecs
            self.registrationInterval = registrationInterval
        }

        /// An account registering with `kamailio` as `user` (password from its user table).
        public static func registered(_ user: String, with kamailio: Kamailio, transport: SIPTransport = .udp,
                                      mediaEncryption: String? = nil, answerMode: AnswerMode = .manual,
                                      audioCodecs: [String]? = nil) -> Account {
            Account(user: user, password: kamailio.users[user], registrar: kamailio.hostPort(transport),
                    transport: transport, mediaEncryption: mediaEncryption, answerMode: answerMode,
                    audioCodecs: audioCodecs)
        }

        /// A local account that registers nowhere; calls reach it at `Baresip.directURI`.
        public static func unregistered(_ user: String, transport: SIPTransport = .udp, mediaEncryption: String? = nil,
                                        answerMode: AnswerMode = .auto, audioCodecs: [String]? = nil) -> Account {
            Account(user: user, transport: transport, mediaEncryption: mediaEncryption, answerMode: answerMode,
                    audioCodecs: audioCodecs)
        }

        /// The line for baresip's `accounts` file.
        public var line: String {
            let domain = registrar.flatMap { $0.split(separator: ":").first.map(String.init) } ?? "127.0.0.1"
            var line = "<sip:\(user)@\(domain);transport=\(transport.rawValue)>"
            if let password { line += ";auth_pass=\(password)" }
            if let registrar {
                let proxy = outboundProxy ?? "sip:\(registrar);transport=\(transport.rawValue)"
                line += ";outbound=\"\(proxy)\";regint=\(registrationInterval)"
            } else {
                if let outboundProxy { line += ";outbound=\"\(outboundProxy)\"" }
                line += ";regint=0"
            }
            line += ";answermode=\(answerMode.rawValue)"
            if let mediaEncryption { line += ";mediaenc=\(mediaEncryption)" }
            if let audioCodecs { line += ";audio_codecs=\(audioCodecs.joined(separator: ","))" }
            return line
        }
    }

    public let name: String
    public let account: Account
    /// UDP and TCP; TLS is on `sipPort + 1`.
    public let sipPort: UInt16
    /// `ctrl_tcp`.
    public let controlPort: UInt16
    /// Configuration, accounts, the audio dumps (`audio/`).
    public let directory: URL
    private let process: ExternalProcess
    private let control: BaresipControl
    /// Seconds from spawning baresip to its control connection being up.
    public let startupSeconds: Double

    /// The port baresip listens on for `transport`.
    public func port(_ transport: SIPTransport) -> UInt16 { transport == .tls ? sipPort + 1 : sipPort }

    /// The account's address of record, `sip:alice@127.0.0.1`.
    public var aor: String { "sip:\(account.user)@127.0.0.1" }

    /// Where to call this baresip without a proxy: `sip:user@127.0.0.1:port;transport=…`.
    public func directURI(_ transport: SIPTransport? = nil) -> String {
        let transport = transport ?? account.transport
        return "sip:\(account.user)@127.0.0.1:\(port(transport));transport=\(transport.rawValue)"
    }

    /// Writes the configuration to a new temporary directory, starts baresip and connects to
    /// its control port. Does not wait for registration (`waitUntilRegistered`).
    /// - Parameters:
    ///   - microphone: a WAV file (48 kHz mono) sent as the microphone; it plays once.
    ///   - caFile: CA certificates for TLS (`sip_cafile`). baresip 1.0.0 loads them but does
    ///     not verify the server with them (see README).
    public init(name: String, account: Account, microphone: URL, caFile: URL? = nil) async throws {
        try ExternalTool.require("baresip")
        self.name = name
        self.account = account
        directory = try TemporaryDirectory.make(prefix: "baresip-\(name)")
        sipPort = try SIPPorts.free(count: 2)
        var control: UInt16
        repeat { control = try SIPPorts.free() } while control == sipPort || control == sipPort + 1
        controlPort = control
        let audio = directory.appendingPathComponent("audio", isDirectory: true)
        try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
        // RTP from a range of its own, below the ephemeral ports like every test peer's.
        let rtpLow = UInt16.random(in: 20_000...31_000) & ~1
        let config = """
        poll_method epoll
        sip_listen 127.0.0.1:\(sipPort)
        \(caFile.map { "sip_cafile \($0.path)" } ?? "")
        call_local_timeout 60
        call_max_calls 4
        audio_player aubridge,nil
        audio_source aufile,\(microphone.path)
        audio_alert aubridge,nil
        audio_path /usr/share/baresip
        ausrc_srate 48000
        auplay_srate 48000
        ausrc_channels 1
        auplay_channels 1
        rtp_ports \(rtpLow)-\(rtpLow + 400)
        net_interface 127.0.0.1
        module_path /usr/lib/baresip/modules
        module g711.so
        module g722.so
        module opus.so
        module srtp.so
        module aufile.so
        module aubridge.so
        module sndfile.so
        module_app account.so
        module_app menu.so
        module_app ctrl_tcp.so
        ctrl_tcp_listen 127.0.0.1:\(controlPort)
        snd_path \(audio.path)
        opus_stereo no
        opus_sprop_stereo no

        """
        try config.write(to: directory.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try (account.line + "\n").write(to: directory.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        try "".write(to: directory.appendingPathComponent("contacts"), atomically: true, encoding: .utf8)
        let begin = Date()
        // Its output goes to baresip.log in its directory (kept with SIP_PEERS_KEEP=1).
        let process = try ExternalProcess("baresip", ["-f", directory.path],
                                          output: directory.appendingPathComponent("baresip.log"))
        self.process = process
        do {
            self.control = try await BaresipControl.connect(port: controlPort, timeout: 10) { process.isRunning }
        } catch {
            await process.stop()
            throw SIPPeerError("baresip \(name) did not start: \(error); output:\n"
                               + Self.log(in: directory).suffix(3000))
        }
        startupSeconds = Date().timeIntervalSince(begin)
    }

    deinit {
        control.close()
        process.kill()
        if ProcessInfo.processInfo.environment["SIP_PEERS_KEEP"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// What baresip printed so far.
    public func log() -> String { Self.log(in: directory) }

    private static func log(in directory: URL) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("baresip.log"), encoding: .utf8)) ?? ""
    }

    public var isRunning: Bool { process.isRunning }

    /// Stops baresip (SIGTERM; SIGKILL after 5 s).
    public func stop() async {
        control.close()
        await process.stop()
    }

    // MARK: Commands

    /// Runs a `ctrl_tcp` command (a long command of baresip's menu: `dial`, `accept`, `reginfo`, …).
    /// - Throws: `SIPPeerError` when baresip answers not-ok or not at all.
    @discardableResult
    public func command(_ name: String, _ params: String? = nil) async throws -> String {
        let response = try await control.command(name, params)
        guard response.ok else {
            throw SIPPeerError("baresip \(self.name): `\(name)\(params.map { " \($0)" } ?? "")` failed: \(response.data)")
        }
        return response.data
    }

    /// Calls `uri` (through the account's outbound proxy when it has one).
    public func dial(_ uri: String) async throws { try await command("dial", uri) }
    /// Answers the incoming call.
    public func accept() async throws { try await command("accept") }
    /// Ends the current call.
    public func hangup() async throws { try await command("hangup") }
    /// Puts the current call on hold (re-INVITE a=sendonly).
    public func hold() async throws { try await command("hold") }
    /// Takes the current call off hold.
    public func resume() async throws { try await command("resume") }
    /// Sends a DTMF digit (RFC 4733 telephone-event) on the current call.
    public func sendDigit(_ digit: Character) async throws { try await command("sndcode", String(digit)) }

    /// True when baresip reports its account registered (`reginfo`).
    public func isRegistered() async throws -> Bool {
        let info = try await command("reginfo")
        // "> sip:alice@127.0.0.1   \u{1b}[32mOK \u{1b}[;m kamailio …"
        return info.split(separator: "\n").contains { $0.contains(aor) && $0.contains("OK ") }
    }

    /// Waits until the account is registered.
    public func waitUntilRegistered(timeout: Double = 10) async throws {
        let done = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(50)) { try await isRegistered() }
        if !done {
            throw SIPPeerError("baresip \(name) not registered after \(timeout) s: \(try await command("reginfo"))\nlog:\n\(log().suffix(2000))")
        }
    }

    // MARK: Events

    /// Every event received so far, in order.
    public var events: [BaresipEvent] { control.events }

    /// A position in the event list: `waitFor(event:after:)` only looks at later events.
    public var eventMark: Int { control.events.count }

    /// Waits for the first event of `type` after `mark` (default: since the start) that
    /// satisfies `matching`.
    /// - Throws: `SIPPeerError` listing the events seen, after `timeout` seconds.
    @discardableResult
    public func waitFor(event type: String, after mark: Int = 0, timeout: Double = 10,
                        matching: @Sendable (BaresipEvent) -> Bool = { _ in true }) async throws -> BaresipEvent {
        var found: BaresipEvent?
        _ = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(10)) {
            found = control.events.dropFirst(mark).first { $0.type == type && matching($0) }
            return found != nil || !process.isRunning
        }
        guard let found else {
            throw SIPPeerError("baresip \(name): no \(type) within \(timeout) s; events: "
                               + control.events.dropFirst(mark).map(\.description).joined(separator: ", ")
                               + (process.isRunning ? "" : "; baresip exited:\n\(log().suffix(2000))"))
        }
        return found
    }

    // MARK: Audio

    /// The newest dump of decoded received audio (`…-dec.wav`), nil before the first call.
    /// Names carry the call's start to the second: two calls started in the same second share one.
    public var receivedAudioFile: URL? { newestDump(suffix: "-dec.wav") }

    /// The newest dump of the audio it encoded and sent (`…-enc.wav`).
    public var sentAudioFile: URL? { newestDump(suffix: "-enc.wav") }

    private func newestDump(suffix: String) -> URL? {
        let audio = directory.appendingPathComponent("audio")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: audio.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().last.map { audio.appendingPathComponent($0) }
    }
}
