/// Media direction of a call, as in SDP.
public enum CallDirection: String, Sendable, Hashable, CaseIterable, Codable {
    case sendrecv
    case sendonly
    case recvonly
    case inactive
}

/// The active call: the `call` member of `status`, and the result of `call.start` and `call.answer`.
public struct CallInfo: Sendable, Hashable, Codable {
    /// The far end, `host:port` (`[v6]:port` for IPv6).
    public var remote: String
    public var localPort: Int
    /// The SRTP suite in use (never the key).
    public var suite: String
    public var direction: CallDirection
    /// ISO-8601 with milliseconds, UTC.
    public var startedAt: String
    /// The platform's session id, once known.
    public var sessionId: String?
    /// `sdes` or `webrtc` (absent from daemons that predate WebRTC: SDES).
    public var transport: String?
    /// The negotiated codec: `opus`, `pcmu`, `pcma` or `g722` (absent from older daemons: Opus).
    public var codec: String?
    /// A WebRTC call's ICE and DTLS state.
    public var webrtc: WebRTCInfo?
    /// The call's handle (`c1`, `c2`, …), the same across its events.
    public var id: String?
    /// `ringing`, `calling`, `early`, `connected`, `held`, `ending`.
    public var state: String?
    /// A SIP call's dialog.
    public var sip: SIPCallInfo?

    public init(
        remote: String, localPort: Int, suite: String, direction: CallDirection,
        startedAt: String, sessionId: String? = nil
    ) {
        self.remote = remote
        self.localPort = localPort
        self.suite = suite
        self.direction = direction
        self.startedAt = startedAt
        self.sessionId = sessionId
    }
}

/// A SIP call's identity: `status.call.sip`.
public struct SIPCallInfo: Sendable, Hashable, Codable {
    public var callId: String
    public var from: String
    public var to: String
    public var display: String?
    /// `incoming` or `outgoing`.
    public var direction: String

    public init(callId: String, from: String, to: String, display: String?, direction: String) {
        self.callId = callId
        self.from = from
        self.to = to
        self.display = display
        self.direction = direction
    }
}

/// The SIP line: `status.sip` (absent when SIP is not enabled).
public struct SIPInfo: Sendable, Hashable, Codable {
    /// `registering`, `registered`, `failed`, `unregistered`, or `off` (no AOR: direct calls only).
    public var registration: String
    public var aor: String?
    public var registrar: String?
    public var contact: String?
    public var reason: String?
    public var expiresIn: Int?
    /// Where it listens for calls.
    public var listen: [String]

    public init(registration: String, aor: String?, registrar: String?, contact: String?, reason: String?, expiresIn: Int?,
                listen: [String]) {
        self.registration = registration
        self.aor = aor
        self.registrar = registrar
        self.contact = contact
        self.reason = reason
        self.expiresIn = expiresIn
        self.listen = listen
    }
}
