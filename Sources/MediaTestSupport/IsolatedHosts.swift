import Foundation
import DaemonTestSupport

/// Two hosts that cannot reach each other and a relay host between them, as private network
/// namespaces joined by veth pairs (iproute2; needs root or CAP_NET_ADMIN).
///
/// ```
///  host A 10.203.1.2 ── 10.203.1.1 [relay] 10.203.2.1 ── 10.203.2.2 host B
///                                  10.203.3.1 (relayed addresses, on the relay's lo)
/// ```
/// The relay does not forward (a new namespace starts with forwarding off) and the hosts have
/// no default route, so A's packets reach B only when a TURN server on the relay carries them.
public final class IsolatedHosts: Sendable {
    public let relay: String
    public let hostA: String
    public let hostB: String
    public static let relayOnA = "10.203.1.1"
    public static let addressA = "10.203.1.2"
    public static let relayOnB = "10.203.2.1"
    public static let addressB = "10.203.2.2"
    /// Where TURN allocations live: reachable from neither host.
    public static let relayed = "10.203.3.1"

    /// Whether this process may create network namespaces.
    public static var available: Bool {
        getuid() == 0 && (try? ExternalTool.path(of: "ip")) != nil
    }

    public init() throws {
        let tag = String(UInt32.random(in: 0...0xFFFF_FF), radix: 16)
        relay = "sp\(tag)r"
        hostA = "sp\(tag)a"
        hostB = "sp\(tag)b"
        do {
            for namespace in [relay, hostA, hostB] {
                try Self.ip(["netns", "add", namespace])
                try Self.ip(["-n", namespace, "link", "set", "lo", "up"])
            }
            try link(host: hostA, hostAddress: Self.addressA, relayAddress: Self.relayOnA, name: "\(tag)a")
            try link(host: hostB, hostAddress: Self.addressB, relayAddress: Self.relayOnB, name: "\(tag)b")
            try Self.ip(["-n", relay, "addr", "add", "\(Self.relayed)/32", "dev", "lo"])
            try Self.ip(["netns", "exec", relay, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0"])
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    /// `command` run inside `namespace` (`ip netns exec` keeps the process id).
    public func command(in namespace: String, _ command: [String]) -> [String] {
        ["netns", "exec", namespace] + command
    }

    /// Whether a UDP datagram from `namespace` can be routed to `address` (the kernel's route lookup).
    public func reachable(_ address: String, from namespace: String) throws -> Bool {
        let process = try ExternalProcess("ip", ["-n", namespace, "route", "get", address])
        return try process.wait(timeout: 10).status == 0
    }

    private func link(host: String, hostAddress: String, relayAddress: String, name: String) throws {
        let hostSide = "v\(name)", relaySide = "v\(name)r"
        try Self.ip(["link", "add", hostSide, "type", "veth", "peer", "name", relaySide])
        try Self.ip(["link", "set", hostSide, "netns", host])
        try Self.ip(["link", "set", relaySide, "netns", relay])
        try Self.ip(["-n", host, "addr", "add", "\(hostAddress)/24", "dev", hostSide])
        try Self.ip(["-n", host, "link", "set", hostSide, "up"])
        try Self.ip(["-n", relay, "addr", "add", "\(relayAddress)/24", "dev", relaySide])
        try Self.ip(["-n", relay, "link", "set", relaySide, "up"])
    }

    private func remove() {
        for namespace in [relay, hostA, hostB] { try? Self.ip(["netns", "delete", namespace]) }
    }

    static func ip(_ arguments: [String]) throws {
        let process = try ExternalProcess("ip", arguments)
        let result = try process.wait(timeout: 10)
        guard result.status == 0 else {
            throw IsolatedHostsError(description: "ip \(arguments.joined(separator: " ")) failed (\(result.status)): "
                                     + result.standardError)
        }
    }
}

/// The namespaces could not be made.
public struct IsolatedHostsError: Error, CustomStringConvertible {
    public let description: String
}
