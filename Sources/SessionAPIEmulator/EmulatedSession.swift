/// An interactive session on the emulated platform.
public struct EmulatedSession: Sendable, Equatable, Codable {
    /// Session id.
    public var id: String
    /// The agent's user id.
    public var userId: String
    /// Always `voice` here.
    public var type: String
    /// `active` or `ended`.
    public var status: String
    /// Whether the agent is muted on the platform.
    public var muted: Bool
    /// Who changed `muted` last: `agent` (through the API) or `supervisor` (admin).
    public var mutedBy: String?
    /// Increases with every change.
    public var version: Int

    public init(id: String, userId: String, muted: Bool = false) {
        self.id = id
        self.userId = userId
        self.type = "voice"
        self.status = "active"
        self.muted = muted
        self.mutedBy = nil
        self.version = 1
    }

    /// Whether the session is still active.
    public var isActive: Bool { self.status == "active" }
}
