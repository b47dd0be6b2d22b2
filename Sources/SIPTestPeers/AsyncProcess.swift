import DaemonTestSupport
import Foundation
import MediaTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Waiting for the peers without holding a thread of the cooperative pool: every wait here
/// sleeps with `Task.sleep` (`eventually`; two cores, a blocked pool thread starves other tests).
extension ExternalProcess {
    /// SIGTERM, then SIGKILL after `timeout` seconds; returns when the program is gone.
    func stop(timeout: Duration = .seconds(5)) async {
        terminate()
        if (try? await eventually(timeout: timeout, { !self.isRunning })) != true { kill() }
        _ = try? await eventually(timeout: .seconds(5)) { !self.isRunning }
    }

    /// Runs a short program to completion (kamcmd, openssl).
    static func output(_ tool: String, _ arguments: [String], timeout: Duration = .seconds(10)) async throws -> Result {
        try await ExternalProcess(tool, arguments).finished(within: timeout)
    }
}

/// Ports for the SIP peers: free for UDP and for TCP at once, so one number serves a SIP
/// listener on every transport. They come from `UDPPorts`' range, below the ephemeral ports.
public enum SIPPorts {
    /// A port free for both UDP and TCP a moment ago; `count` consecutive ones when asked
    /// (baresip listens for TLS on its SIP port + 1).
    public static func free(count: UInt16 = 1) throws -> UInt16 {
        for _ in 0..<200 {
            let port = try UDPPorts.free()
            guard port + count < 32_000 else { continue }
            if (0..<count).allSatisfy({ !UDPPorts.isBound(port + $0) && !isTCPBound(port + $0) && canBindTCP(port + $0) }) {
                return port
            }
        }
        throw SIPPeerError("no free UDP+TCP port on 127.0.0.1")
    }

    /// True when some TCP socket on this machine uses local `port` (any state).
    public static func isTCPBound(_ port: UInt16) -> Bool {
        let wanted = String(format: ":%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if fields.count > 1, fields[1].hasSuffix(wanted) { return true }
            }
        }
        return false
    }

    /// True when a TCP socket is listening on `port`.
    public static func isTCPListening(_ port: UInt16) -> Bool {
        let wanted = String(format: ":%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // st 0A = LISTEN
                if fields.count > 3, fields[1].hasSuffix(wanted), fields[3] == "0A" { return true }
            }
        }
        return false
    }

    static func canBindTCP(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in.loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

extension sockaddr_in {
    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// A SIP peer did not start, answer or behave as expected.
public struct SIPPeerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
