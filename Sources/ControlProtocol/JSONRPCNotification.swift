import Foundation

/// A JSON-RPC 2.0 notification sent by the daemon (`method` is `event`).
public struct JSONRPCNotification: Sendable, Hashable, Codable {
    public var jsonrpc: String
    public var method: String
    public var params: JSONValue?

    public init(method: String, params: JSONValue?) {
        self.jsonrpc = "2.0"
        self.method = method
        self.params = params
    }

    /// The notification carrying an event.
    public init(event: ControlEvent) {
        self.init(method: ControlEvent.notificationMethod, params: event.params)
    }

    /// The event this notification carries, if it is an `event` notification.
    public var event: ControlEvent? {
        guard method == ControlEvent.notificationMethod, let params else { return nil }
        return ControlEvent(params: params)
    }

    /// One wire line: compact JSON followed by `\n`.
    public func line() throws -> Data {
        var data = try ControlJSON.encoder.encode(self)
        data.append(0x0A)
        return data
    }
}
