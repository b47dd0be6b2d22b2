import DaemonTestSupport
import Foundation
import MediaTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIP transports.
public enum SIPTransport: String, Sendable, CaseIterable {
    case udp, tcp, tls
}

/// Kamailio 5.6 as registrar and proxy for the SIP tests, on 127.0.0.1.
///
/// One domain, `127.0.0.1` (and `localhost`): users and passwords given to the initializer
/// live in an htable filled at start-up (no database); REGISTER is challenged with 401,
/// requests from a local user with 407 (digest, qop=auth). Contacts are kept in memory
/// (usrloc `db_mode 0`); initial INVITEs are record-routed and relayed to the callee's
/// registered contact. UAs on TCP or TLS are reached over their own connection
/// (`fix_nated_register`, `set_contact_alias` / `handle_ruri_alias`). TLS uses a
/// certificate of a private CA made at start (`caFile`). `sipdump` writes every message,
/// TLS ones in clear, to files `messages()` reads.
///
/// Ports are fixed for the object's lifetime: `restart()` (or `stop()` then `start()`) brings
/// the registrar back on the same ports with no bindings, as a real registrar restart.
public final class Kamailio: Sendable {
    public let host = "127.0.0.1"
    /// The SIP domain of the users (`sip:alice@127.0.0.1`).
    public let domain = "127.0.0.1"
    public let udpPort: UInt16
    public let tcpPort: UInt16
    public let tlsPort: UInt16
    /// User name → password.
    public let users: [String: String]
    /// Everything kamailio uses and writes: configuration, certificates, dumps, its control socket.
    public let directory: URL
    /// The certificates; `certificates.caFile` is what a verifying UA trusts.
    public let certificates: TestCertificateAuthority
    /// The binrpc control socket (`kamcmd -s unix:<path> …`).
    public let controlSocket: String
    private let configurationFile: URL
    private let state = Mutex<State>(State())

    private struct State {
        var process: ExternalProcess?
        var generation = 0
        var startupSeconds: [Double] = []
    }

    /// The PEM file of the CA that signed kamailio's TLS certificate.
    public var caFile: URL { certificates.caFile }

    /// Writes the configuration and certificates to a new temporary directory, starts
    /// kamailio and waits until it answers OPTIONS on UDP and listens on TCP and TLS.
    /// - Parameters:
    ///   - users: user name → password (no registration without an entry here).
    ///   - minimumExpires: the shortest registration kamailio grants (UAs asking for less get this).
    /// - Throws: `ExternalToolError` when kamailio or openssl is missing, `SIPPeerError`
    ///   when kamailio does not come up within 10 s.
    /// - Parameter certificateNames: the TLS certificate's subjectAltName (see `TestCertificateAuthority`).
    public init(users: [String: String], minimumExpires: Int = 5,
                certificateNames: String = TestCertificateAuthority.defaultNames) async throws {
        try ExternalTool.require("kamailio", "kamcmd", "openssl")
        self.users = users
        directory = try TemporaryDirectory.make(prefix: "kamailio")
        udpPort = try SIPPorts.free()
        var tcp: UInt16, tls: UInt16
        repeat { tcp = try SIPPorts.free() } while tcp == udpPort
        repeat { tls = try SIPPorts.free() } while tls == udpPort || tls == tcp
        tcpPort = tcp
        tlsPort = tls
        certificates = try await TestCertificateAuthority.make(in: directory, names: certificateNames)
        controlSocket = directory.appendingPathComponent("kamailio.ctl").path
        configurationFile = directory.appendingPathComponent("kamailio.cfg")
        let dumps = directory.appendingPathComponent("sipdump", isDirectory: true)
        try FileManager.default.createDirectory(at: dumps, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("run"), withIntermediateDirectories: true)
        let text = KamailioConfiguration.text(
            udpPort: udpPort, tcpPort: tcpPort, tlsPort: tlsPort, users: users, minimumExpires: minimumExpires,
            paths: .init(controlSocket: controlSocket, sipDumpFolder: dumps.path,
                         certificate: certificates.certificateFile.path,
                         privateKey: certificates.privateKeyFile.path, caFile: certificates.caFile.path))
        try text.write(to: configurationFile, atomically: true, encoding: .utf8)
        try await start()
    }

    deinit {
        // kamailio forks its workers: SIGKILL for the whole process group (see `start`), or the
        // workers outlive their parent and keep the ports.
        state.withLock { state in
            if let process = state.process { Self.killGroup(of: process) }
        }
        if ProcessInfo.processInfo.environment["SIP_PEERS_KEEP"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private static func killGroup(of process: ExternalProcess) {
        _ = Glibc.kill(-process.processIdentifier, SIGKILL)
    }

    public func port(_ transport: SIPTransport) -> UInt16 {
        switch transport {
        case .udp: udpPort
        case .tcp: tcpPort
        case .tls: tlsPort
        }
    }

    /// `127.0.0.1:port` of a transport's listener.
    public func hostPort(_ transport: SIPTransport) -> String { "\(host):\(port(transport))" }

    /// The proxy's URI on a transport, e.g. `sip:127.0.0.1:20123;transport=tls` (a UA's
    /// outbound proxy or registrar).
    public func uri(_ transport: SIPTransport) -> String { "sip:\(hostPort(transport));transport=\(transport.rawValue)" }

    /// A user's address of record, `sip:alice@127.0.0.1`.
    public func aor(_ user: String) -> String { "sip:\(user)@\(domain)" }

    /// Seconds from spawning kamailio to its being ready, one entry per start.
    public var startupSeconds: [Double] { state.withLock { $0.startupSeconds } }

    public var isRunning: Bool { state.withLock { $0.process?.isRunning ?? false } }

    /// Starts kamailio (again) on the same ports and waits until it is ready.
    public func start() async throws {
        await stop()
        try? FileManager.default.removeItem(atPath: controlSocket)
        let begin = Date()
        // stderr (-E) goes to kamailio.log in its directory, every run appended;
        // setsid makes kamailio (same pid) the leader of a process group holding its workers.
        let generation = state.withLock { $0.generation } + 1
        try appendToLog("----- start \(generation) -----\n")
        let process = try ExternalProcess("setsid", [
            try ExternalTool.path(of: "kamailio"), "-DD", "-E", "-f", configurationFile.path,
            "-Y", directory.appendingPathComponent("run").path, "-w", directory.path, "-m", "64", "-M", "8",
        ], output: logFile)
        state.withLock {
            $0.process = process
            $0.generation += 1
        }
        let bound = try await eventually(timeout: .seconds(10), poll: .milliseconds(20)) {
            guard process.isRunning else { return true }  // no use waiting
            return SIPPorts.isTCPListening(tcpPort) && SIPPorts.isTCPListening(tlsPort) && UDPPorts.isBound(udpPort)
        }
        let ready = bound && process.isRunning
        let answered = ready && process.isRunning ? try await SIPProbe.options(port: udpPort, timeout: 5) : nil
        let socketReady = try await eventually(timeout: .seconds(2)) { FileManager.default.fileExists(atPath: controlSocket) }
        guard let answered, answered.contains(" 200 "), socketReady else {
            await stop()
            throw SIPPeerError("kamailio did not become ready (ports bound: \(ready), OPTIONS: \(answered ?? "no answer"), "
                               + "control socket: \(socketReady)); log:\n\(log().suffix(4000))")
        }
        let seconds = Date().timeIntervalSince(begin)
        state.withLock { $0.startupSeconds.append(seconds) }
    }

    /// Stops kamailio (SIGTERM, SIGKILL after 5 s). Its bindings are lost: usrloc is in memory.
    public func stop() async {
        let process = state.withLock { state -> ExternalProcess? in
            let process = state.process
            state.process = nil
            return process
        }
        guard let process else { return }
        // SIGTERM: kamailio's main process stops its workers, then exits.
        await process.stop()
        Self.killGroup(of: process)
    }

    /// Stops and starts kamailio on the same ports.
    public func restart() async throws {
        try await start()
    }

    /// Kamailio's log (`kamailio.log` in `directory`): every run so far, each after a
    /// `----- start N -----` line.
    public func log() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    private var logFile: URL { directory.appendingPathComponent("kamailio.log") }

    private func appendToLog(_ text: String) throws {
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: logFile)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    /// Every SIP message kamailio received or sent so far, in order (all runs).
    public func messages() -> [SIPDumpMessage] {
        let folder = directory.appendingPathComponent("sipdump")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".data") }
        let messages = files.flatMap { name in
            SIPDumpMessage.parse((try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "")
        }
        return messages.sorted { $0.time < $1.time }
    }

    /// Runs `kamcmd` against this kamailio's control socket.
    public func kamcmd(_ arguments: String...) async throws -> String {
        let result = try await ExternalProcess.output("kamcmd", ["-s", "unix:\(controlSocket)"] + arguments)
        guard result.succeeded else { throw SIPPeerError("kamcmd \(arguments.joined(separator: " ")) failed: \(result)") }
        return String(decoding: result.standardOutput, as: UTF8.self)
    }

    /// The registered contacts by user (address of record without domain): `ul.dump`.
    /// Each contact is its `Address` (the Contact URI the UA registered).
    public func registrations() async throws -> [String: [String]] {
        try Self.parseRegistrations(await kamcmd("ul.dump"))
    }

    /// True when `user` has at least one registered contact.
    public func isRegistered(_ user: String) async throws -> Bool {
        try await !(registrations()[user] ?? []).isEmpty
    }

    /// Waits until every one of `users` has a registered contact.
    /// - Throws: `SIPPeerError` naming those still missing after `timeout` seconds.
    public func waitUntilRegistered(_ users: [String], timeout: Double = 10) async throws {
        var registered: [String: [String]] = [:]
        let done = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(100)) {
            registered = try await registrations()
            return users.allSatisfy { !(registered[$0] ?? []).isEmpty }
        }
        if !done {
            throw SIPPeerError("not registered after \(timeout) s: \(users.filter { (registered[$0] ?? []).isEmpty }); "
                               + "bindings: \(registered)")
        }
    }

    static func parseRegistrations(_ dump: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        var current: String?
        for line in dump.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("AoR: ") {
                let aor = String(trimmed.dropFirst(5))
                current = aor
                result[aor, default: []] += []
            } else if trimmed.hasPrefix("Address: "), let current {
                result[current, default: []].append(String(trimmed.dropFirst(9)))
            }
        }
        return result
    }
}
