/// The operations the publisher and watcher need from a platform.
///
/// `sessions` implements it with ``SessionsAPIClient``; a later `genesys` profile
/// (conversation participant PATCH, notifications WebSocket) implements the same three
/// calls, with its participant standing in for the session.
public protocol SignalingProfile: Sendable {
    /// Finds the platform's handle for the agent's current call.
    /// - Returns: the id, or `nil` when the platform does not show it yet.
    func findSession() async throws -> String?
    /// Reads whether the agent is muted on the platform.
    func readMuted(sessionID: String) async throws -> Bool
    /// Sets the agent's mute state on the platform.
    func setMuted(_ muted: Bool, sessionID: String) async throws
}

extension SessionsAPIClient: SignalingProfile {
    public func findSession() async throws -> String? {
        try await self.findActiveSession()
    }
}
