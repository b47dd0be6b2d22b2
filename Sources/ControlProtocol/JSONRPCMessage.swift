import Foundation

/// What a client reads from the control socket: a response to one of its requests, or a notification.
public enum JSONRPCMessage: Sendable, Hashable {
    case response(JSONRPCResponse)
    case notification(JSONRPCNotification)

    /// Parses one line received from the daemon.
    public static func parse(_ line: Data) throws -> JSONRPCMessage {
        let value = try JSONValue.parse(line)
        guard let object = value.objectValue else {
            throw ControlError.invalidRequest("not a JSON object")
        }
        if object["method"] != nil && object["id"] == nil {
            return .notification(try value.decode(as: JSONRPCNotification.self))
        }
        // Decoded from the text, not from `value`, so that integer ids beyond 2^53 stay exact.
        return .response(try JSONDecoder().decode(JSONRPCResponse.self, from: line))
    }
}
