/// The operations the `sessions` profile (``SessionsSync``) needs from a platform's REST API.
///
/// `sessions` implements it with ``SessionsAPIClient``; tests may pass their own through
/// ``PlatformSyncService/init(configuration:initialMuted:profile:logger:onRemoteChange:onStatusChange:)``.
/// This is the poll-shaped client seam under the `sessions` profile only; the seam both
/// profiles fit is ``PlatformProfile`` (the `genesys` PATCH is answered before it applies
/// and its remote changes are pushed, so ``GenesysSignaling`` speaks to its API directly).
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
