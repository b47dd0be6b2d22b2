import Foundation

/// Conversions between typed params/results and the JSON carried by requests, throwing
/// the JSON-RPC error a client should see.
public enum ControlParams {
    /// Decodes a request's params as `type`.
    ///
    /// Absent or `null` params decode as the empty object, so params whose members are all
    /// optional may be omitted. Params that are not an object, or do not match `type`, throw
    /// `invalidParams` (-32602) naming the offending member.
    public static func decode<T: Decodable>(_ type: T.Type, from params: JSONValue?) throws(ControlError) -> T {
        let value: JSONValue
        switch params {
        case .none, .some(.null): value = .object([:])
        case .some(.object): value = params!
        case .some: throw ControlError.invalidParams("params must be an object")
        }
        do {
            return try value.decode(as: type)
        } catch let error as DecodingError {
            throw ControlError.invalidParams(describe(error))
        } catch {
            throw ControlError.invalidParams(String(describing: error))
        }
    }

    /// Encodes a typed result as JSON; a failure is an `internalError` (-32603).
    public static func encode(_ result: some Encodable) throws(ControlError) -> JSONValue {
        do {
            return try JSONValue(encoding: result)
        } catch {
            throw ControlError.internalError("cannot encode result: \(error)")
        }
    }

    /// A one-line description of a decoding failure: the member's path and what is wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = (codingPath + (last.map { [$0] } ?? [])).map { key in
                key.intValue.map { "[\($0)]" } ?? key.stringValue
            }
            return keys.isEmpty ? "params" : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing member \"\(path(context.codingPath, key))\""
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must be \(typeName(type)), not null"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is UInt64.Type, is UInt32.Type, is Double.Type: "a number"
        case is [String].Type: "an array of strings"
        default: "\(type)"
        }
    }
}
