/// Params of `subscribe`: `{"events"?: [names]}`; absent means every event.
public struct SubscribeParams: Sendable, Hashable, Codable {
    /// Event names to receive (see ``ControlEventType``); `nil` for all.
    public var events: [String]?

    public init(events: [String]? = nil) {
        self.events = events
    }
}

/// Result of `subscribe`: `{"subscribed": [names]}`.
public struct SubscribeResult: Sendable, Hashable, Codable {
    public var subscribed: [String]

    public init(subscribed: [String]) {
        self.subscribed = subscribed
    }
}
