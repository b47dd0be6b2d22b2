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
