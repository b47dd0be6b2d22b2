import Foundation
import DaemonTestSupport
import MediaEngine

/// Ports for peers that bind their own sockets (GStreamer's `udpsrc`, ffmpeg).
public enum UDPPorts {
    /// Ports handed to peers come from below the kernel's ephemeral range (32768 and up
    /// by default), so a socket bound to port 0 elsewhere in the test run can never be given
    /// the same port between our check and the peer's bind.
    static let range: Range<UInt16> = 20_000..<32_000

    /// A port on 127.0.0.1 that was free a moment ago (checked by binding it).
    ///
    /// Another program could take it in between; on a test machine that is rare enough,
    /// and `waitUntilBound` confirms the peer really got it.
    public static func free() throws -> UInt16 {
        let loopback = try SocketAddress("127.0.0.1:9")
        for _ in 0..<200 {
            let port = UInt16.random(in: range)
            if !isBound(port), (try? UDPSocket(localPort: port, family: loopback, bindLoopbackOnly: true)) != nil {
                return port
            }
        }
        throw UDPPortsError(description: "no free UDP port found on 127.0.0.1 in \(range)")
    }

    /// A port `p` with `p + 1` also free a moment ago, for peers that bind RTCP on the next
    /// port even when the sender multiplexes it (ffmpeg).
    public static func freePair() throws -> UInt16 {
        for _ in 0..<50 {
            let port = try free()
            if port + 1 < range.upperBound, !isBound(port + 1) { return port }
        }
        throw UDPPortsError(description: "no free pair of adjacent UDP ports found on 127.0.0.1")
    }

    /// True when some socket on this machine is bound to UDP `port` (IPv4 or IPv6).
    /// - Parameter process: look in that process's network namespace instead of ours.
    public static func isBound(_ port: UInt16, process: pid_t? = nil) -> Bool {
        let wanted = String(format: ":%04X", port)
        let base = process.map { "/proc/\($0)/net" } ?? "/proc/net"
        for table in ["\(base)/udp", "\(base)/udp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if fields.count > 1, fields[1].hasSuffix(wanted) { return true }
            }
        }
        return false
    }

    /// Polls until `port` is bound, or `timeout` seconds pass.
    /// - Parameter process: stop waiting early when this process has exited.
    /// - Returns: whether the port is bound.
    /// - Parameter inItsNamespace: the process runs in a network namespace of its own.
    public static func waitUntilBound(_ port: UInt16, timeout: Double, process: ExternalProcess? = nil,
                                      inItsNamespace: Bool = false) -> Bool {
        let owner = inItsNamespace ? process?.processIdentifier : nil
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isBound(port, process: owner) { return true }
            if let process, !process.isRunning { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return isBound(port, process: owner)
    }
}

/// No suitable port could be found.
public struct UDPPortsError: Error, CustomStringConvertible {
    public let description: String
}
