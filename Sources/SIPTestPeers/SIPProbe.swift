import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-shot SIP OPTIONS over UDP: how the launchers tell a registrar is answering.
public enum SIPProbe {
    /// Sends `OPTIONS sip:host:port` from an ephemeral UDP port on 127.0.0.1, resending every
    /// 200 ms, and returns the first response's status line (nil when none came in `timeout` s).
    public static func options(host: String = "127.0.0.1", port: UInt16, timeout: Double) async throws -> String? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SIPPeerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var local = sockaddr_in.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let localPort = UInt16(bigEndian: local.sin_port)
        var remote = sockaddr_in.loopback(port: port)
        if host != "127.0.0.1" { inet_pton(AF_INET, host, &remote.sin_addr) }
        let callID = UUID().uuidString
        let deadline = Date().addingTimeInterval(timeout)
        var attempt = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            attempt += 1
            let request = "OPTIONS sip:\(host):\(port) SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:\(localPort);branch=z9hG4bK-probe-\(callID.prefix(8))-\(attempt);rport\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:\(host):\(port)>\r\n"
                + "Call-ID: \(callID)\r\nCSeq: \(attempt) OPTIONS\r\nContent-Length: 0\r\n\r\n"
            let bytes = Array(request.utf8)
            _ = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            for _ in 0..<10 {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    let text = String(decoding: buffer[0..<count], as: UTF8.self)
                    return text.split(separator: "\r\n", maxSplits: 1).first.map(String.init)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        return nil
    }
}
