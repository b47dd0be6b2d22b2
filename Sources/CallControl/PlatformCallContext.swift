/// The platform's identity of a call, handed over with the call when it starts: the one route
/// by which a front end tells the platform profile which session (and, for `genesys`, which
/// conversation and participant) the call is.
public struct PlatformCallContext: Sendable, Hashable {
    /// The platform session id (skips discovery).
    public var sessionID: String?
    /// `genesys`: the conversation and this agent's participant in it.
    public var conversationID: String?
    public var participantID: String?

    public init(sessionID: String? = nil, conversationID: String? = nil, participantID: String? = nil) {
        self.sessionID = sessionID
        self.conversationID = conversationID
        self.participantID = participantID
    }
}

/// The platform profile as the call core sees it: told when a call starts (with its
/// context) and when it ends. Called on the call core's actor; must not block.
public protocol PlatformCallSync: Sendable {
    func callStarted(_ context: PlatformCallContext)
    func callEnded()
}
