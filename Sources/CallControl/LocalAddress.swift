import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The address softphoned puts in its SDP.
enum LocalAddress {
    /// `SOFTPHONED_SDP_ADDRESS` if set, else the address of the interface that routes to
    /// `peer` (the far end's media address, when an offer names one: loopback for a far end
    /// on this machine) or to the internet — found with a connected UDP socket, nothing is
    /// sent — else loopback.
    static func forOffers(toward peer: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let configured = environment["SOFTPHONED_SDP_ADDRESS"], !configured.isEmpty { return configured }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return "127.0.0.1" }
        defer { close(fd) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = UInt16(9).bigEndian
        // TEST-NET-1 when no IPv4 peer is known: a routing lookup only.
        if peer.map({ inet_pton(AF_INET, $0, &target.sin_addr) }) != 1 { inet_pton(AF_INET, "192.0.2.1", &target.sin_addr) }
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "127.0.0.1" }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return "127.0.0.1" }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &local.sin_addr, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
