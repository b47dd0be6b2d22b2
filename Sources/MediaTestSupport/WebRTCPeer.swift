import Foundation
import DaemonTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real WebRTC far end for the tests: GStreamer's webrtcbin or headless Chromium, run as
/// `Tests/Peers/webrtcbin_peer.py` / `chromium_peer.py` (see `Tests/Peers/README.md`).
///
/// Signalling is the peers' JSON lines: what the peer prints goes to a file that is read as
/// it grows (`ExternalProcess.standardOutputSoFar()`), and what it is sent goes through a FIFO
/// that is its standard input. Both peers use vanilla ICE, so one offer and one answer carry
/// every candidate: a test hands the peer's offer to softphoned (`call.accept`) and the answer
/// back (`sendRemoteDescription`), or the other way round.
public final class WebRTCPeer: Sendable {
    /// Which implementation plays the far end.
    public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        case webrtcbin
        case chromium
        public var description: String { rawValue }
        var script: String { "\(rawValue)_peer.py" }
    }

    /// Who makes the offer.
    public enum Role: String, Sendable {
        case offer
        case answer
        /// The description this role receives.
        var remoteType: String { self == .offer ? "answer" : "offer" }
    }

    /// The peer's command line (`Tests/Peers/README.md`).
    public struct Options: Sendable {
        /// Sine frequency sent in Hz; 0 sends digital silence.
        public var toneHertz: Double = 440
        /// Seconds of tone sent from "connected"; afterwards no RTP. 0 sends nothing.
        public var duration: Double = 2
        /// Seconds of receiving from "connected" (default: `duration`).
        public var listenSeconds: Double?
        /// STUN server `host:port` (none by default: nothing on loopback needs one).
        public var stun: String?
        /// TURN server `turn://user:pass@host:port`.
        public var turn: String?
        /// ICE transport policy `relay`.
        public var forceRelay = false
        /// Host candidates only on these addresses (`127.0.0.1` for loopback calls).
        public var localAddresses: [String] = []
        /// Seconds from the remote description to "connected" before the peer gives up.
        public var connectTimeout: Double = 15
        /// Chromium answering only: the `a=setup` it answers with (`passive`: Chrome is the DTLS server).
        public var dtlsSetup: String?
        /// Chromium offering only: seconds after connecting, it re-offers with an ICE restart.
        public var restartICEAfter: Double?
        /// A network namespace to run the peer in (`IsolatedHosts`).
        public var namespace: String?

        public init(toneHertz: Double = 440, duration: Double = 2, listenSeconds: Double? = nil,
                    localAddresses: [String] = []) {
            self.toneHertz = toneHertz
            self.duration = duration
            self.listenSeconds = listenSeconds
            self.localAddresses = localAddresses
        }

        var arguments: [String] {
            var words = ["--tone", "\(toneHertz)", "--duration", "\(duration)", "--connect-timeout", "\(connectTimeout)"]
            if let listenSeconds { words += ["--listen-seconds", "\(listenSeconds)"] }
            if let stun { words += ["--stun", stun] }
            if let turn { words += ["--turn", turn] }
            if forceRelay { words.append("--force-relay") }
            for address in localAddresses { words += ["--local-address", address] }
            if let dtlsSetup { words += ["--dtls-setup", dtlsSetup] }
            if let restartICEAfter { words += ["--restart-ice-after", "\(restartICEAfter)"] }
            return words
        }
    }

    /// The folder with the peer scripts, found from this file's place in the repository.
    public static let scriptDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Peers")
    /// Debian's interpreter: it has python3-gi (another `python3` on `PATH` may not).
    static let python = "/usr/bin/python3"

    public let kind: Kind
    public let role: Role
    public let options: Options
    private let process: ExternalProcess
    private let directory: URL
    private let reportURL: URL
    /// Our end of the FIFO that is the peer's standard input.
    private let input: CInt

    /// Starts the peer. An offering peer prints its offer once gathering is complete
    /// (`localDescription(timeout:)`); an answering one waits for `sendRemoteDescription`.
    /// - Throws: `ExternalToolError` when Python, GStreamer or Chromium is missing,
    ///   `WebRTCPeerError` when the peer cannot be started.
    public init(_ kind: Kind, role: Role, options: Options = Options()) throws {
        try ExternalTool.require(Self.python)
        switch kind {
        case .webrtcbin: try ExternalTool.require("gst-inspect-1.0")
        case .chromium: try ExternalTool.require("chromedriver")
        }
        self.kind = kind
        self.role = role
        self.options = options
        directory = try TemporaryDirectory.make(prefix: "webrtc-\(kind)")
        reportURL = directory.appendingPathComponent("report.json")
        let fifo = directory.appendingPathComponent("stdin").path
        guard mkfifo(fifo, 0o600) == 0 else {
            throw WebRTCPeerError("mkfifo \(fifo): \(String(cString: strerror(errno)))")
        }
        // Read+write never blocks, and keeps the FIFO open (no end of input) until we close it.
        input = open(fifo, O_RDWR | O_CLOEXEC)
        guard input >= 0 else { throw WebRTCPeerError("open \(fifo): \(String(cString: strerror(errno)))") }
        let script = Self.scriptDirectory.appendingPathComponent(kind.script).path
        do {
            let command = [script, "--role", role.rawValue, "--report", reportURL.path] + options.arguments
            if let namespace = options.namespace {
                process = try ExternalProcess("ip", ["netns", "exec", namespace, Self.python] + command, standardInput: URL(fileURLWithPath: fifo))
            } else {
                process = try ExternalProcess(Self.python, command, standardInput: URL(fileURLWithPath: fifo))
            }
        } catch {
            close(input)
            throw error
        }
    }

    deinit {
        close(input)
        if process.isRunning { _ = try? process.interruptAndWait(timeout: 10) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The command line, for messages.
    public var command: String { process.command }

    /// One line the peer printed: a description (`offer`/`answer` with `sdp`) or a state change.
    public struct Message: Decodable, Sendable {
        public let type: String
        public let sdp: String?
        public let kind: String?
        public let value: String?
    }

    /// The signalling lines the peer has printed so far, decoded.
    public func messages() -> [Message] {
        let text = String(decoding: process.standardOutputSoFar(), as: UTF8.self)
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Message.self, from: Data($0.utf8)) }
    }

    /// The peer's own SDP (its offer or its answer), waiting up to `timeout` seconds for ICE
    /// gathering to complete.
    /// - Parameter index: 0 for the first description, 1 for a re-offer (an ICE restart).
    public func localDescription(timeout: Double = 30, index: Int = 0) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let descriptions = messages().filter { $0.type == role.rawValue }
            if descriptions.count > index, let sdp = descriptions[index].sdp {
                return sdp
            }
            if !process.isRunning {
                throw WebRTCPeerError("\(kind) exited before printing its \(role.rawValue): \(failureDetail())")
            }
            if Date() > deadline {
                throw WebRTCPeerError("\(kind) printed no \(role.rawValue) within \(timeout) s: \(failureDetail())")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Hands the peer the far side's offer (answering peer) or answer (offering peer).
    public func sendRemoteDescription(_ sdp: String) throws {
        try send(["type": role.remoteType, "sdp": sdp])
    }

    /// Asks the peer to end now (it still writes its report).
    public func bye() throws {
        try send(["type": "bye"])
    }

    private func send(_ message: [String: String]) throws {
        var line = try JSONSerialization.data(withJSONObject: message)
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw WebRTCPeerError("writing to \(kind)'s standard input: \(String(cString: strerror(errno)))")
        }
    }

    /// Waits until the peer printed the state `kind` = `value` (e.g. "connection", "connected").
    /// - Returns: false when it did not within `timeout` seconds or exited first.
    public func waitForState(_ kind: String, _ value: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if messages().contains(where: { $0.type == "state" && $0.kind == kind && $0.value == value }) { return true }
            if !process.isRunning { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Waits for the peer to end by itself (after `duration`/`listenSeconds`, or at once after
    /// `bye()`) and returns its report.
    /// - Throws: `WebRTCPeerError` with its stderr when it wrote no report,
    ///   `ExternalProcessTimeout` when it ran past `timeout` seconds (it is killed).
    public func finish(timeout: Double = 30) throws -> WebRTCPeerReport {
        let result = try process.wait(timeout: timeout)
        guard let data = try? Data(contentsOf: reportURL) else {
            throw WebRTCPeerError("\(kind) wrote no report: \(result)")
        }
        do {
            var report = try JSONDecoder.snakeCase.decode(WebRTCPeerReport.self, from: data)
            report.exitStatus = result.status
            report.standardError = result.standardError
            return report
        } catch {
            throw WebRTCPeerError("\(kind)'s report does not decode (\(error)): \(String(decoding: data.prefix(2000), as: UTF8.self))")
        }
    }

    /// Runs the offer/answer exchange between two peers (`offerer` must offer, `answerer` answer).
    public static func connect(offerer: WebRTCPeer, answerer: WebRTCPeer, timeout: Double = 30) throws {
        guard offerer.role == .offer, answerer.role == .answer else {
            throw WebRTCPeerError("connect needs an offering and an answering peer")
        }
        try answerer.sendRemoteDescription(try offerer.localDescription(timeout: timeout))
        try offerer.sendRemoteDescription(try answerer.localDescription(timeout: timeout))
    }

    private func failureDetail() -> String {
        let partial = process.isRunning ? nil : try? process.wait(timeout: 1)
        return partial.map { "\($0)" } ?? "`\(process.command)` is still running"
    }
}

/// What a peer wrote at the end (`Tests/Peers/README.md` lists every field).
public struct WebRTCPeerReport: Decodable, Sendable, CustomStringConvertible {
    public struct Candidate: Decodable, Sendable {
        /// host, srflx, prflx or relay.
        public let type: String?
        public let address: String?
        public let port: Int?
        public let `protocol`: String?
    }
    public struct CandidatePair: Decodable, Sendable {
        public let local: Candidate?
        public let remote: Candidate?
    }
    public struct State: Decodable, Sendable {
        public let tMs: Double
        public let kind: String
        public let value: String
    }

    public let peer: String
    public let role: String
    public let toneHz: Double
    public let endReason: String?
    public let connected: Bool
    /// Remote description applied → connected (ICE and DTLS), ms.
    public let connectMs: Double?
    public let iceState: String?
    public let connectionState: String?
    public let dtlsState: String?
    /// "client" or "server".
    public let dtlsRole: String?
    /// RFC 5764/7714 profile name, e.g. SRTP_AES128_CM_HMAC_SHA1_80.
    public let srtpProfile: String?
    public let selectedPair: CandidatePair?
    public let packetsReceived: Int
    public let firstPacketMs: Double?
    /// [ms since connected, cumulative packets received], about every 100 ms.
    public let packetsTimeline: [[Double]]
    public let localCandidates: [String]
    public let remoteCandidates: [String]
    public let states: [State]
    public let errors: [String]
    public let sampleRate: Int
    public let receivedSeconds: Double
    /// Strongest frequency of the decoded audio (nil for silence).
    public let dominantHz: Double?
    /// Strongest frequency of the last half second (what was heard after a change mid-call).
    public let dominantHzEnd: Double?
    public let rmsWindowMs: Int
    /// RMS of each 20 ms window of decoded audio, 1.0 = full scale; digital zeros give 0.
    public let rms: [Double]
    public let zeroWindows: Int
    public let peak: Int
    /// The peer's exit status and its diagnostics (not in the JSON).
    public var exitStatus: Int32 = 0
    public var standardError = ""

    enum CodingKeys: String, CodingKey {
        case peer, role, toneHz, endReason, connected, connectMs, iceState, connectionState, dtlsState, dtlsRole,
             srtpProfile, selectedPair, packetsReceived, firstPacketMs, packetsTimeline, localCandidates,
             remoteCandidates, states, errors, sampleRate, receivedSeconds, dominantHz, dominantHzEnd, rmsWindowMs, rms,
             zeroWindows, peak
    }

    /// True when the decoded audio's strongest frequency is within `tolerance` Hz of `hertz`.
    public func hears(_ hertz: Double, tolerance: Double = 5) -> Bool {
        guard let dominantHz else { return false }
        return abs(dominantHz - hertz) <= tolerance
    }

    /// True when the last half second's strongest frequency is within `tolerance` Hz of `hertz`.
    public func hearsAtEnd(_ hertz: Double, tolerance: Double = 5) -> Bool {
        guard let dominantHzEnd else { return false }
        return abs(dominantHzEnd - hertz) <= tolerance
    }

    public var description: String {
        let pair = selectedPair.map { "\($0.local?.type ?? "?")→\($0.remote?.type ?? "?")" } ?? "none"
        return "\(peer) (\(role)): connected=\(connected) in \(connectMs.map { "\($0) ms" } ?? "-"), "
            + "dtls \(dtlsRole ?? "?") \(dtlsState ?? "?"), \(srtpProfile ?? "no profile"), pair \(pair), "
            + "\(packetsReceived) packets, \(receivedSeconds) s decoded, dominant \(dominantHz.map { "\($0) Hz" } ?? "none"), "
            + "errors \(errors), end \(endReason ?? "?"), exit \(exitStatus)"
            + (standardError.isEmpty ? "" : "\nstderr:\n\(standardError.suffix(3000))")
    }
}

/// A WebRTC peer could not be started or gave no usable result.
public struct WebRTCPeerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
