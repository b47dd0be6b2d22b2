import Foundation

/// A conversation as the platform shows it, reduced to what mute signaling needs. Both
/// shapes parse into it: the notification's `eventBody` / `GET /conversations/{id}`
/// (participants with `userId` and `calls[]`) and the `CallConversation` of
/// `GET /conversations/calls` (flat participants with `user.id`, `state`, `muted`).
public struct ConversationSnapshot: Sendable, Equatable {
    public struct Participant: Sendable, Equatable {
        public var id: String
        public var userID: String?
        public var purpose: String
        /// The state of the participant's current call (SPEC §5b: the single non-ended
        /// call, else the last one).
        public var state: String
        public var muted: Bool

        /// `disconnected` or `terminated`.
        public var isEnded: Bool { self.state == "disconnected" || self.state == "terminated" }
    }

    public var id: String
    public var participants: [Participant]

    /// The agent's participant (GENESYS.md §4, as the WebRTC SDK picks it): the user's
    /// participants other than voicemail, newest first; one → it; else the first with a
    /// `connected` call; else the newest.
    public func agentParticipant(userID: String) -> Participant? {
        let candidates = self.participants.filter { $0.userID == userID && $0.purpose != "voicemail" }.reversed()
        if candidates.count <= 1 { return candidates.first }
        return candidates.first { $0.state == "connected" } ?? candidates.first
    }

    /// Parses either shape.
    ///
    /// - Throws: ``SignalingError`` (invalid response) naming what is missing.
    public static func parse(_ object: [String: Any], label: String) throws -> ConversationSnapshot {
        guard let id = object["id"] as? String, !id.isEmpty else {
            throw SignalingError.invalidResponse("\(label): a conversation without a string \"id\"")
        }
        guard let list = object["participants"] as? [Any] else {
            throw SignalingError.invalidResponse("\(label): conversation \(id) has no \"participants\" array")
        }
        var participants: [Participant] = []
        for item in list {
            guard let p = item as? [String: Any], let pid = p["id"] as? String else {
                throw SignalingError.invalidResponse("\(label): a participant of \(id) has no string \"id\"")
            }
            let userID = (p["userId"] as? String) ?? ((p["user"] as? [String: Any])?["id"] as? String)
            let purpose = p["purpose"] as? String ?? ""
            var state = p["state"] as? String ?? ""
            var muted = p["muted"] as? Bool
            if let calls = p["calls"] as? [[String: Any]], !calls.isEmpty {
                let open = calls.filter { !["disconnected", "terminated"].contains($0["state"] as? String ?? "") }
                let call = open.count == 1 ? open[0] : calls[calls.count - 1]
                state = call["state"] as? String ?? state
                muted = call["muted"] as? Bool ?? muted
            }
            participants.append(Participant(id: pid, userID: userID, purpose: purpose, state: state, muted: muted ?? false))
        }
        return ConversationSnapshot(id: id, participants: participants)
    }

    /// Parses a JSON document of either shape.
    public static func parse(_ data: Data, label: String) throws -> ConversationSnapshot {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SignalingError.invalidResponse("\(label): the answer is not a JSON object")
        }
        return try self.parse(object, label: label)
    }
}
