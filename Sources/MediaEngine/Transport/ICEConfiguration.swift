import MediaCore

/// How a WebRTC call's ICE agent finds its candidates (`webrtc.*` in the configuration).
public struct ICEConfiguration: Sendable, Equatable {
    /// A STUN or TURN server: a host name or numeric address, and a port.
    public typealias Server = MediaEndpoint

    /// How softphoned reaches a TURN relay (`?transport=udp|tcp`, or `turns:` for TLS).
    public enum RelayTransport: String, Sendable, Equatable { case udp, tcp, tls }

    public struct Relay: Sendable, Equatable {
        public var server: Server
        public var transport: RelayTransport
        public var username: String
        /// Read from a file or the credentials directory, never from the command line.
        public var credential: String
        public init(server: Server, transport: RelayTransport, username: String, credential: String) {
            self.server = server
            self.transport = transport
            self.username = username
            self.credential = credential
        }
    }

    /// Server-reflexive candidates come from the first server that resolves (libnice takes one).
    public var stun: [Server]
    public var relays: [Relay]
    /// Interface names to gather on; empty means every non-loopback interface with an address.
    public var interfaces: [String]
    /// Vanilla ICE waits this long at most for gathering to finish.
    public var gatherTimeoutMilliseconds: Int
    /// ICE-TCP candidates (RFC 6544); off unless asked for.
    public var iceTCP: Bool
    /// Offer only relayed candidates (the W3C `iceTransportPolicy: "relay"`): the peer never
    /// learns the workstation's addresses, and media always crosses the relay.
    public var relayOnly: Bool

    public init(stun: [Server] = [], relays: [Relay] = [], interfaces: [String] = [], gatherTimeoutMilliseconds: Int = 2000,
                iceTCP: Bool = false, relayOnly: Bool = false) {
        self.stun = stun
        self.relays = relays
        self.interfaces = interfaces
        self.gatherTimeoutMilliseconds = gatherTimeoutMilliseconds
        self.iceTCP = iceTCP
        self.relayOnly = relayOnly
    }
}

/// What our ICE agent gathered, for the SDP.
public struct ICELocalDescription: Sendable, Equatable {
    public var ufrag: String
    public var password: String
    /// `a=candidate:…` lines, as libnice writes them.
    public var candidates: [String]
    /// The default candidate's address and port, for `c=` and `m=`.
    public var defaultAddress: String
    public var defaultPort: UInt16
}

/// A WebRTC call's transport as `status` shows it.
public struct WebRTCTransportStatus: Sendable, Equatable {
    /// `gathering`, `connecting`, `connected`, `ready`, `failed`, `closed`.
    public var iceState: String = "new"
    public var iceRole: String = "controlled"
    /// The selected pair, e.g. `host udp 127.0.0.1:50000`.
    public var localCandidate: String?
    public var remoteCandidate: String?
    /// `client` or `server`.
    public var dtlsRole: String = "server"
    /// `new`, `connecting`, `connected`, `failed`, `closed`.
    public var dtlsState: String = "new"
    public var srtpProfile: String?
    /// The same as softphoned's suite name (`AEAD_AES_128_GCM`, …).
    public var srtpSuite: String?
    /// RFC 7675: `pending` until the pair is checked, `fresh` while libnice's consent checks
    /// (about every 5 s) are answered, `lost` once they are not.
    public var consent: String = "pending"
    /// Monotonic nanoseconds of the last datagram of any kind from the peer (0: none yet).
    public var lastReceivedAt: UInt64 = 0
    /// Monotonic nanoseconds between ICE becoming usable and the DTLS handshake ending.
    public var handshakeNanoseconds: UInt64?
    /// Why the transport failed or closed, if it did.
    public var failure: String?
}

/// What the transport tells its owner (on the ICE thread; keep handlers short).
public enum WebRTCTransportEvent: Sendable, Equatable {
    /// DTLS finished and the peer's certificate matched: SRTP keys are in place.
    case connected
    /// ICE failed, consent was lost (`consentLost`), or the handshake failed or timed out.
    case failed(reason: String, consentLost: Bool)
    /// The peer sent close_notify.
    case closedByPeer
}
