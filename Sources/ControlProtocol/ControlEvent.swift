import Foundation

/// One event as delivered to subscribers.
///
/// On the wire the event is the `params` of an `event` notification, with `type`, `seq`
/// and `at` next to the event's own fields:
/// `{"jsonrpc":"2.0","method":"event","params":{"type":"remoteMute","muted":true,"source":"remote","seq":17,"at":"2026-11-21T10:00:00.020Z"}}`.
public struct ControlEvent: Sendable, Hashable, Codable {
    /// The JSON-RPC method of the notification that carries events.
    public static let notificationMethod = "event"
    /// Members reserved for the envelope; a field with one of these names is ignored.
    public static let reservedKeys: Set<String> = ["type", "seq", "at"]

    public var type: ControlEventType
    /// Position in the daemon's global event order: +1 per event over the daemon's life.
    public var seq: UInt64
    /// When the event was published, ISO-8601 with milliseconds, UTC.
    public var at: String
    /// The event's own members (`muted`, `source`, `mode`, `reason`, `state`, `error`...).
    public var fields: [String: JSONValue]

    public init(type: ControlEventType, seq: UInt64, at: String, fields: [String: JSONValue] = [:]) {
        self.type = type
        self.seq = seq
        self.at = at
        self.fields = fields.filter { !Self.reservedKeys.contains($0.key) }
    }

    /// The `params` object of the notification: the fields flattened next to `type`, `seq` and `at`.
    public var params: JSONValue {
        var object = fields
        object["type"] = .string(type.rawValue)
        object["seq"] = .number(Double(seq))
        object["at"] = .string(at)
        return .object(object)
    }

    /// Reads an event from a notification's `params`; `nil` when `type`, `seq` or `at` is missing or unknown.
    public init?(params: JSONValue) {
        guard var object = params.objectValue,
            let typeName = object["type"]?.stringValue,
            let type = ControlEventType(rawValue: typeName),
            let seqValue = object["seq"]?.doubleValue, seqValue >= 0, seqValue.rounded() == seqValue,
            let at = object["at"]?.stringValue
        else { return nil }
        for key in Self.reservedKeys { object[key] = nil }
        self.init(type: type, seq: UInt64(seqValue), at: at, fields: object)
    }

    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        guard let event = ControlEvent(params: value) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an event: needs type, seq and at"))
        }
        self = event
    }

    public func encode(to encoder: any Encoder) throws {
        try params.encode(to: encoder)
    }

    /// The full notification line (JSON and `\n`) for this event.
    public func notificationLine() throws -> Data {
        try JSONRPCNotification(event: self).line()
    }
}
