/// SRTP parameters of a static call: suite name and RFC 4568 key (`inline:<base64>`).
public struct SRTPParams: Sendable, Hashable, Codable {
    public var suite: String
    /// The key softphoned sends with.
    public var key: String
    /// The key the far end sends with, when it is not `key`.
    public var remoteKey: String?

    public init(suite: String, key: String, remoteKey: String? = nil) {
        self.suite = suite
        self.key = key
        self.remoteKey = remoteKey
    }
}

/// Params of `call.start`: `{"remote": "host:port", "srtp": {"suite", "key"}, "localPort"?, "sessionId"?}`.
public struct CallStartParams: Sendable, Hashable, Codable {
    public var remote: String
    public var srtp: SRTPParams
    public var localPort: Int?
    /// The platform's session id, which skips session discovery.
    public var sessionId: String?
    /// `genesys`: the conversation and the agent's participant, which skip discovery.
    public var conversationId: String?
    public var participantId: String?

    public init(remote: String, srtp: SRTPParams, localPort: Int? = nil, sessionId: String? = nil,
                conversationId: String? = nil, participantId: String? = nil) {
        self.remote = remote
        self.srtp = srtp
        self.localPort = localPort
        self.sessionId = sessionId
        self.conversationId = conversationId
        self.participantId = participantId
    }
}

/// Params of `call.answer` and `call.accept`: `{"sdp", "sessionId"?}`.
public struct SDPParams: Sendable, Hashable, Codable {
    public var sdp: String
    public var sessionId: String?
    /// `genesys`: the conversation and the agent's participant, which skip discovery.
    public var conversationId: String?
    public var participantId: String?

    public init(sdp: String, sessionId: String? = nil, conversationId: String? = nil, participantId: String? = nil) {
        self.sdp = sdp
        self.sessionId = sessionId
        self.conversationId = conversationId
        self.participantId = participantId
    }
}

/// Result of `call.offer` and `call.accept`: `{"sdp"}`.
public struct SDPResult: Sendable, Hashable, Codable {
    public var sdp: String

    public init(sdp: String) {
        self.sdp = sdp
    }
}

/// Result of `call.hangup`: `{"ended": true}`.
public struct HangupResult: Sendable, Hashable, Codable {
    public var ended: Bool

    public init(ended: Bool = true) {
        self.ended = ended
    }
}

/// Params of `call.dtmf`: `{"digits": "0-9*#A-D", "durationMs"?: 40…2000}`.
public struct DTMFParams: Sendable, Hashable, Codable {
    public var digits: String
    /// How long each digit sounds; the default is 100 ms.
    public var durationMs: Int?

    public init(digits: String, durationMs: Int? = nil) {
        self.digits = digits
        self.durationMs = durationMs
    }
}

/// Result of `call.dtmf`: `{"queued": n}`, the digits queued for sending.
public struct DTMFResult: Sendable, Hashable, Codable {
    public var queued: Int

    public init(queued: Int) {
        self.queued = queued
    }
}

/// `call.dial`.
public struct DialParams: Sendable, Hashable, Codable {
    public var uri: String
    public init(uri: String) { self.uri = uri }
}

/// `call.reject`.
public struct RejectParams: Sendable, Hashable, Codable {
    public var code: Int?
    public init(code: Int? = nil) { self.code = code }
}

/// `call.reject`'s result.
public struct RejectResult: Sendable, Hashable, Codable {
    public var rejected: Bool
    public init(rejected: Bool) { self.rejected = rejected }
}
