/// A numeric host and a UDP port, as negotiated from `c=` and `m=`.
public struct MediaEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// A numeric IPv4 or IPv6 address (without brackets).
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public var isIPv6: Bool { host.contains(":") }

    /// `host:port`, or `[host]:port` for IPv6: the form `call.start`'s `remote` takes.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The unspecified address (`0.0.0.0` or `::`), the RFC 2543 way of putting a call on hold.
    public var isUnspecified: Bool {
        host == "0.0.0.0" || host.split(separator: ":").allSatisfy({ $0.allSatisfy { $0 == "0" } })
    }
}
