import Foundation

/// An SDP session description (RFC 8866), as parsed from a peer or built for the wire.
///
/// The model keeps what softphoned reads or writes and every attribute verbatim, so
/// unknown attributes survive a parse and can be inspected; `SDPParser` builds it and
/// `SDPWriter` serialises it.
public struct SessionDescription: Sendable, Equatable {
    /// `o=`: the originator and the session's identity and version.
    public struct Origin: Sendable, Equatable {
        public var username: String
        /// Kept as text: peers write 64-bit and longer numbers here.
        public var sessionID: String
        public var sessionVersion: String
        public var networkType: String
        public var addressType: String
        public var address: String

        public init(username: String = "-", sessionID: String, sessionVersion: String,
                    networkType: String = "IN", addressType: String, address: String) {
            self.username = username
            self.sessionID = sessionID
            self.sessionVersion = sessionVersion
            self.networkType = networkType
            self.addressType = addressType
            self.address = address
        }
    }

    /// `c=`: where media goes. A multicast TTL or address count (`/127/3`) is dropped.
    public struct Connection: Sendable, Equatable {
        public var networkType: String
        /// `IP4` or `IP6` (other values are kept so the negotiation can name them).
        public var addressType: String
        public var address: String

        public init(networkType: String = "IN", addressType: String, address: String) {
            self.networkType = networkType
            self.addressType = addressType
            self.address = address
        }

        /// `IN IP4 <address>` or `IN IP6 <address>`, chosen by the address's form.
        public init(address: String) {
            self.init(addressType: address.contains(":") ? "IP6" : "IP4", address: address)
        }
    }

    /// `a=name` or `a=name:value`.
    public struct Attribute: Sendable, Equatable {
        public var name: String
        /// Nil for a property attribute such as `a=rtcp-mux`.
        public var value: String?

        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    public var version: Int
    /// Nil only when a peer left out the (mandatory) `o=` line.
    public var origin: Origin?
    public var sessionName: String
    /// Session-level `c=`, the default for media descriptions without their own.
    public var connection: Connection?
    /// `t=<start> <stop>`; `0 0` for an unbounded session.
    public var timing: String
    /// Session-level attributes, in order.
    public var attributes: [Attribute]
    /// The `m=` sections, in order.
    public var media: [MediaDescription]

    public init(version: Int = 0, origin: Origin?, sessionName: String = "-", connection: Connection? = nil,
                timing: String = "0 0", attributes: [Attribute] = [], media: [MediaDescription] = []) {
        self.version = version
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.timing = timing
        self.attributes = attributes
        self.media = media
    }

    /// The session-level direction attribute, if any.
    public var direction: MediaDirection? { attributes.direction }
}

/// One `m=` section of a session description.
public struct MediaDescription: Sendable, Equatable {
    /// `audio`, `video`, `application`, …
    public var media: String
    /// 0 declines the stream (RFC 3264 §6).
    public var port: Int
    /// The `/<count>` suffix of the port, when present.
    public var portCount: Int?
    /// The transport, e.g. `RTP/SAVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`.
    public var proto: String
    /// The formats: RTP payload types for RTP transports.
    public var formats: [String]
    /// Media-level `c=`, overriding the session's.
    public var connection: SessionDescription.Connection?
    public var attributes: [SessionDescription.Attribute]

    public init(media: String, port: Int, portCount: Int? = nil, proto: String, formats: [String],
                connection: SessionDescription.Connection? = nil, attributes: [SessionDescription.Attribute] = []) {
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.attributes = attributes
    }

    /// The media-level direction attribute, if any.
    public var direction: MediaDirection? { attributes.direction }

    /// Every value of the attribute `name` (case-insensitive), in order.
    public func values(of name: String) -> [String] {
        attributes.values(of: name)
    }

    /// Whether the property attribute `name` is present.
    public func has(_ name: String) -> Bool {
        attributes.contains { $0.name.equalsIgnoringCase(name) }
    }

    /// The `a=rtpmap` entry for `payloadType`, parsed.
    public func rtpmap(for payloadType: String) -> RTPMap? {
        for value in values(of: "rtpmap") {
            if let map = RTPMap(value), map.payloadType == payloadType { return map }
        }
        return nil
    }

    /// The `a=fmtp` parameters for `payloadType` (names lower-cased), empty when absent.
    public func formatParameters(for payloadType: String) -> [String: String] {
        for value in values(of: "fmtp") {
            let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0] == payloadType else { continue }
            var result: [String: String] = [:]
            for pair in parts[1].split(separator: ";") {
                // `=value` with no name (or an empty pair) is skipped, not indexed.
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = kv[0].trimmingWhitespace().lowercased()
                guard !key.isEmpty else { continue }
                result[key] = kv.count == 2 ? kv[1].trimmingWhitespace() : ""
            }
            return result
        }
        return [:]
    }
}

/// A parsed `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
public struct RTPMap: Sendable, Equatable {
    public var payloadType: String
    public var encoding: String
    public var clockRate: Int
    public var channels: Int?

    public init(payloadType: String, encoding: String, clockRate: Int, channels: Int? = nil) {
        self.payloadType = payloadType
        self.encoding = encoding
        self.clockRate = clockRate
        self.channels = channels
    }

    /// Parses the attribute's value; nil when it is not of the RFC 8866 §6.6 form.
    public init?(_ value: String) {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        let fields = parts[1].trimmingWhitespace().split(separator: "/")
        guard fields.count >= 2, let rate = Int(fields[1]) else { return nil }
        payloadType = String(parts[0])
        encoding = String(fields[0])
        clockRate = rate
        channels = fields.count >= 3 ? Int(fields[2]) : nil
    }

    /// Opus as RFC 7587 §7 registers it: `opus/48000/2` (any letter case; a missing
    /// channel count is tolerated).
    public var isOpus: Bool {
        encoding.equalsIgnoringCase("opus") && clockRate == 48000 && (channels == nil || channels == 2)
    }
}

extension Array where Element == SessionDescription.Attribute {
    /// Every value of the attribute `name` (case-insensitive), in order.
    public func values(of name: String) -> [String] {
        compactMap { $0.name.equalsIgnoringCase(name) ? ($0.value ?? "") : nil }
    }

    /// The last direction attribute (a peer writing two is wrong; the last one wins).
    var direction: MediaDirection? {
        var result: MediaDirection?
        for attribute in self where attribute.value == nil {
            if let direction = MediaDirection(rawValue: attribute.name.lowercased()) { result = direction }
        }
        return result
    }
}
