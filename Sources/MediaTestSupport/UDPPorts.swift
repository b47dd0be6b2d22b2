import Foundation
import MediaEngine

/// Ports for peers that bind their own sockets (GStreamer's `udpsrc`, ffmpeg).
public enum UDPPorts {
    /// A port on 127.0.0.1 that was free a moment ago: bound, read and released.
    ///
    /// Another program could take it in between; on a test machine that is rare enough,
    /// and `waitUntilBound` confirms the peer really got it.
    public static func free() throws -> UInt16 {
        let socket = try UDPSocket(localPort: 0, family: try SocketAddress("127.0.0.1:9"), bindLoopbackOnly: true)
        return socket.localAddress.port
    }

    /// A port `p` with `p + 1` also free a moment ago, for peers that bind RTCP on the next
    /// port even when the sender multiplexes it (ffmpeg).
    public static func freePair() throws -> UInt16 {
        for _ in 0..<50 {
            let port = try free()
            if port < UInt16.max, !isBound(port + 1) { return port }
        }
        throw UDPPortsError(description: "no free pair of adjacent UDP ports found on 127.0.0.1")
    }

    /// True when some socket on this machine is bound to UDP `port` (IPv4 or IPv6).
    public static func isBound(_ port: UInt16) -> Bool {
        let wanted = String(format: ":%04X", port)
        for table in ["/proc/net/udp", "/proc/net/udp6"] {
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
    public static func waitUntilBound(_ port: UInt16, timeout: Double, process: ExternalProcess? = nil) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isBound(port) { return true }
            if let process, !process.isRunning { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return isBound(port)
    }
}

/// No suitable port could be found.
public struct UDPPortsError: Error, CustomStringConvertible {
    public let description: String
}
