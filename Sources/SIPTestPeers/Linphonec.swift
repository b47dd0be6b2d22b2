import DaemonTestSupport
import Foundation
import MediaTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// linphonec 5.1 (`linphone-cli`) as a far end: another SIP stack (belle-sip, mediastreamer2)
/// than baresip's, driven through its standard input, its events read from its standard output.
///
/// Sound is `soundcard use files`: `play(_:)` names the WAV sent as the microphone,
/// `record(_:)` the WAV the call's received audio is written to. SRTP (SDES) when
/// `srtpMandatory`. linphonec binds its SIP ports on every address (`[::]`), not only 127.0.0.1.
public final class Linphonec: Sendable {
    public let name: String
    /// UDP and TCP; TLS on `sipPort + 1`.
    public let sipPort: UInt16
    public let directory: URL
    /// Seconds from spawning linphonec to its SIP listener being bound.
    public let startupSeconds: Double
    private let process: ExternalProcess
    /// Our end of the FIFO that is linphonec's standard input (opened read-write, so neither
    /// side's open blocks and linphonec never sees end-of-file while we hold it).
    private let input: Int32
    private let closed = Mutex(false)

    /// Writes `linphonerc` to a new temporary directory and starts linphonec.
    /// - Parameters:
    ///   - autoAnswer: `-a`, answer incoming calls at once.
    ///   - srtpMandatory: `media_encryption=srtp`, `media_encryption_mandatory=1`.
    ///   - caFile: the CA that TLS servers are verified against (`root_ca`; verification of the
    ///     certificate and its name is on).
    public init(name: String, autoAnswer: Bool = false, srtpMandatory: Bool = false, caFile: URL? = nil) async throws {
        try ExternalTool.require("linphonec")
        self.name = name
        directory = try TemporaryDirectory.make(prefix: "linphonec-\(name)")
        sipPort = try SIPPorts.free(count: 2)
        // Without its database directory the core never starts (no listening points at all).
        let home = directory.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".local/share/linphone"),
                                                withIntermediateDirectories: true)
        let rtpLow = UInt16.random(in: 20_000...31_000) & ~1
        let rc = """
        [sip]
        sip_port=\(sipPort)
        sip_tcp_port=\(sipPort)
        sip_tls_port=\(sipPort + 1)
        register_only_when_network_is_up=0
        verify_server_certs=1
        verify_server_cn=1
        \(caFile.map { "root_ca=\($0.path)" } ?? "")
        media_encryption=\(srtpMandatory ? "srtp" : "none")
        media_encryption_mandatory=\(srtpMandatory ? 1 : 0)
        [rtp]
        audio_rtp_port=\(rtpLow)-\(rtpLow + 200)
        [sound]
        echocancellation=0
        [video]
        enabled=0

        """
        let rcFile = directory.appendingPathComponent("linphonerc")
        try rc.write(to: rcFile, atomically: true, encoding: .utf8)
        let fifo = directory.appendingPathComponent("stdin")
        guard mkfifo(fifo.path, 0o600) == 0 else { throw SIPPeerError("mkfifo: \(String(cString: strerror(errno)))") }
        input = open(fifo.path, O_RDWR | O_CLOEXEC)
        guard input >= 0 else { throw SIPPeerError("open \(fifo.path): \(String(cString: strerror(errno)))") }
        let begin = Date()
        var arguments = ["-c", rcFile.path, "-d", "6", "-l", directory.appendingPathComponent("linphone.log").path]
        if autoAnswer { arguments.append("-a") }
        do {
            process = try ExternalProcess("linphonec", arguments, environment: ["HOME": home.path], standardInput: fifo)
        } catch {
            Glibc.close(input)
            throw error
        }
        let port = sipPort, process = process
        let bound = try await eventually(timeout: .seconds(10), poll: .milliseconds(20)) { !process.isRunning || UDPPorts.isBound(port) }
        startupSeconds = Date().timeIntervalSince(begin)
        guard bound, process.isRunning else {
            await process.stop()
            throw SIPPeerError("linphonec \(name) did not bind UDP \(sipPort); output:\n\(String(decoding: process.standardOutputSoFar(), as: UTF8.self).suffix(3000))")
        }
        try send("soundcard use files")
    }

    deinit {
        process.kill()
        if !closed.withLock({ $0 }) { Glibc.close(input) }
        if ProcessInfo.processInfo.environment["SIP_PEERS_KEEP"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Sends one command line (`call sip:…`, `answer`, `terminate`, `pause`, `resume`, `status register`, …).
    public func send(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw SIPPeerError("linphonec \(name): cannot write its input") }
    }

    /// Registers `sip:user@domain` through `proxy` (`sip:127.0.0.1:port;transport=tls`).
    public func register(user: String, domain: String = "127.0.0.1", proxy: String, password: String) throws {
        try send("register sip:\(user)@\(domain) \(proxy) \(password)")
    }

    public func call(_ uri: String) throws { try send("call \(uri)") }
    public func answer() throws { try send("answer") }
    public func terminate() throws { try send("terminate") }
    /// Puts the current call on hold.
    public func pause() throws { try send("pause") }
    public func resume() throws { try send("resume") }
    /// Sends digits as DTMF (RFC 4733 by default).
    public func sendDigits(_ digits: String) throws { try send(digits) }
    /// The WAV file sent as the microphone from the next call on.
    public func play(_ file: URL) throws { try send("play \(file.path)") }
    /// The WAV file the next call's received audio goes to.
    public func record(_ file: URL) throws { try send("record \(file.path)") }

    /// What linphonec printed so far (prompts, answers and events such as
    /// `Call 1 with sip:… connected.`, `Receiving tone 5 from …`, `Call 1 with … ended (…)`).
    public func output() -> String { String(decoding: process.standardOutputSoFar(), as: UTF8.self) }

    /// liblinphone's log (`-d 6`), SIP messages included.
    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("linphone.log"), encoding: .utf8)) ?? ""
    }

    /// A position in `output()`: `waitFor(_:after:)` looks only past it.
    public var outputMark: Int { process.standardOutputSoFar().count }

    /// Waits until the output past `mark` contains `text`.
    @discardableResult
    public func waitFor(_ text: String, after mark: Int = 0, timeout: Double = 10) async throws -> String {
        var found: String?
        _ = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(20)) {
            let output = process.standardOutputSoFar()
            let tail = String(decoding: output.dropFirst(mark), as: UTF8.self)
            if let range = tail.range(of: text) {
                found = String(tail[range.lowerBound...].prefix { $0 != "\n" })
            }
            return found != nil || !process.isRunning
        }
        guard let found else {
            throw SIPPeerError("linphonec \(name): no \"\(text)\" within \(timeout) s; output:\n"
                               + String(decoding: process.standardOutputSoFar().dropFirst(mark), as: UTF8.self).suffix(3000))
        }
        return found
    }

    /// Polls `status register` until it says `registered, identity=…`.
    public func waitUntilRegistered(timeout: Double = 10) async throws {
        let done = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(200)) {
            let mark = outputMark
            try send("status register")
            try await Task.sleep(for: .milliseconds(100))
            return String(decoding: process.standardOutputSoFar().dropFirst(mark), as: UTF8.self)
                .split(separator: "\n")
                .contains { $0.replacingOccurrences(of: "linphonec> ", with: "").hasPrefix("registered, identity") }
        }
        if !done { throw SIPPeerError("linphonec \(name) not registered after \(timeout) s; output:\n\(output().suffix(2000))") }
    }

    /// `quit`, then SIGTERM/SIGKILL when it lingers.
    public func stop() async {
        try? send("quit")
        _ = try? await eventually(timeout: .seconds(3)) { !process.isRunning }
        await process.stop()
        closed.withLock { closed in
            if !closed { Glibc.close(input) }
            closed = true
        }
    }
}
