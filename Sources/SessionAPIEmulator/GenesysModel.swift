import Foundation

/// A participant of an emulated conversation, with its one call.
public struct EmulatedParticipant: Sendable, Equatable {
    public var id: String
    /// `agent`, `customer`, `user`, …
    public var purpose: String
    /// The Genesys user behind the participant (agents and supervisors).
    public var userID: String?
    public var name: String
    public var address: String
    /// `alerting`, `connected`, `disconnected`, `terminated`.
    public var state: String
    public var direction: String
    public var muted: Bool
    public var held: Bool
    public var confined: Bool
    /// The id of the participant's call (the `calls[]` entry).
    public var callID: String
}

/// An emulated call conversation.
public struct EmulatedConversation: Sendable, Equatable {
    public var id: String
    public var participants: [EmulatedParticipant]
    public var startedAt: Date

    /// Whether every participant has left.
    public var isEnded: Bool { self.participants.allSatisfy { $0.state == "disconnected" || $0.state == "terminated" } }

    /// The newest participant of `userID` (the agent's leg).
    public func participant(ofUser userID: String) -> EmulatedParticipant? {
        self.participants.last { $0.userID == userID }
    }

    /// The `v2.users.{id}.conversations` event body (and `GET /conversations/{id}`):
    /// participants with `userId` and a `calls[]` array.
    func conversationObject() -> [String: Any] {
        [
            "id": self.id,
            "startTime": GenesysClock.format(self.startedAt),
            "participants": self.participants.map { p -> [String: Any] in
                var object: [String: Any] = [
                    "id": p.id, "purpose": p.purpose, "name": p.name, "address": p.address,
                    "calls": [[
                        "id": p.callID, "state": p.state, "muted": p.muted, "held": p.held, "confined": p.confined,
                        "direction": p.direction, "provider": "Edge",
                    ] as [String: Any]],
                ]
                if let user = p.userID { object["userId"] = user }
                return object
            },
        ]
    }

    /// The `CallConversation` of `GET /conversations/calls`: flat participants with `user:{id}`.
    func callConversationObject() -> [String: Any] {
        [
            "id": self.id,
            "participants": self.participants.map { p -> [String: Any] in
                var object: [String: Any] = [
                    "id": p.id, "purpose": p.purpose, "name": p.name, "address": p.address, "state": p.state,
                    "direction": p.direction, "muted": p.muted, "held": p.held, "confined": p.confined,
                ]
                if let user = p.userID { object["user"] = ["id": user] }
                return object
            },
            "selfUri": "/api/v2/conversations/calls/\(self.id)",
        ]
    }
}

/// One line of the emulator's WebSocket log.
public struct GenesysSocketLogEntry: Sendable, Equatable, Codable {
    public var at: Date
    public var channelID: String
    /// `open`, `close`, `in` (client → server) or `out`.
    public var kind: String
    /// The message text, or the close code and reason.
    public var text: String
}

/// A notification channel as the emulator keeps it.
public struct EmulatedChannel: Sendable, Equatable {
    public var id: String
    public var userID: String?
    public var clientID: String
    public var expires: Date
    public var lastUsed: Date
    public var topics: [String]
    /// Whether a WebSocket is connected to it now.
    public var connected: Bool
    /// Whether heartbeats and pongs are suppressed (the half-dead socket).
    public var silenced: Bool
}

/// ISO-8601 with milliseconds, as the platform writes times.
enum GenesysClock {
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
