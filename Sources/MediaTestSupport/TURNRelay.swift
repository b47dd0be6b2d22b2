import Foundation
import DaemonTestSupport

/// A TURN relay for the tests: Debian's coturn (`turnserver`) on 127.0.0.1 with one static
/// long-term-credential user, so a call can be forced through relayed candidates.
///
/// coturn refuses to relay to loopback peers by default (`--allow-loopback-peers` lifts that),
/// reads no configuration file (`-n`), and keeps its user database in the fixture's own
/// directory rather than /var/lib/turn. TLS and DTLS listeners are off: UDP and TCP only.
public final class TURNRelay: Sendable {
    /// The first listening address (what `url` and `address` name).
    public let host: String
    /// UDP and TCP port of the listener.
    public let port: UInt16
    public let user: String
    public let password: String
    public let realm: String
    /// The relayed candidates' ports come from here.
    public let relayPorts: ClosedRange<UInt16>
    private let process: ExternalProcess
    private let directory: URL

    /// `turn://user:password@127.0.0.1:port`, the form both test peers take.
    public var url: String { "turn://\(user):\(password)@\(host):\(port)" }
    /// `127.0.0.1:port`.
    public var address: String { "\(host):\(port)" }

    /// Starts coturn and waits until its listener is bound.
    /// - Throws: `ExternalToolError` when coturn is missing, `TURNRelayError` when it does not start.
    /// - Parameter relayIP: the address relayed candidates get; another loopback address than
    ///   the peers' own (127.0.0.2) means permissions for a relayed address admit only relays.
    ///   - listeningIPs: where clients reach it (several: one per network it serves).
    ///   - namespace: a network namespace to run it in (`IsolatedHosts.relay`).
    public init(user: String = "softphoned", realm: String = "softphoned.test", relayIP: String = "127.0.0.1",
                listeningIPs: [String] = ["127.0.0.1"], namespace: String? = nil) throws {
        guard (try? ExternalTool.path(of: "turnserver")) != nil else {
            throw ExternalToolError(tool: "turnserver", package: "coturn")
        }
        host = listeningIPs.first ?? "127.0.0.1"
        self.user = user
        self.realm = realm
        password = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        port = try UDPPorts.free()
        // A block of 200 ports below the ephemeral range, like the other peers' ports.
        let low = UInt16.random(in: UDPPorts.range.lowerBound...(UDPPorts.range.upperBound - 201))
        relayPorts = low...(low + 199)
        directory = try TemporaryDirectory.make(prefix: "turn")
        let arguments = [
            // -v: sessions, allocations and permissions are logged (`log()`, `allocations`).
            "-n", "-v"] + listeningIPs.map { "--listening-ip=\($0)" } + ["--listening-port=\(port)", "--relay-ip=\(relayIP)",
            "--min-port=\(relayPorts.lowerBound)", "--max-port=\(relayPorts.upperBound)",
            "--lt-cred-mech", "--user=\(user):\(password)", "--realm=\(realm)", "--fingerprint",
            "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers", "--no-multicast-peers",
            "--log-file=stdout", "--simple-log",
            "--pidfile=\(directory.appendingPathComponent("turnserver.pid").path)",
            "--userdb=\(directory.appendingPathComponent("turndb.sqlite").path)",
        ]
        if let namespace {
            process = try ExternalProcess("ip", ["netns", "exec", namespace, try ExternalTool.path(of: "turnserver")] + arguments)
        } else {
            process = try ExternalProcess("turnserver", arguments)
        }
        guard UDPPorts.waitUntilBound(port, timeout: 10, process: process, inItsNamespace: namespace != nil) else {
            let result = try? process.interruptAndWait(timeout: 5)
            throw TURNRelayError(description: "turnserver did not bind UDP port \(port)"
                                 + (result.map { ": \($0); log:\n\(String(decoding: $0.standardOutput, as: UTF8.self).suffix(2000))" } ?? ""))
        }
    }

    /// What coturn has logged so far (allocations, permissions, channel binds).
    public func log() -> String {
        String(decoding: process.standardOutputSoFar(), as: UTF8.self)
    }

    /// How many TURN allocations coturn has granted so far.
    public var allocations: Int {
        log().components(separatedBy: "ALLOCATE processed, success").count - 1
    }

    /// Stops coturn (SIGTERM; SIGKILL when it does not go).
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        _ = try? process.wait(timeout: 5)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// coturn could not be started.
public struct TURNRelayError: Error, CustomStringConvertible {
    public let description: String
}
