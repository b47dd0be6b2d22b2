import Foundation

/// A JSON-RPC 2.0 response: exactly one of `result` or `error`.
public struct JSONRPCResponse: Sendable, Hashable, Codable {
    public var id: JSONRPCID
    public var outcome: Result<JSONValue, ControlError>

    public init(id: JSONRPCID, result: JSONValue) {
        self.id = id
        self.outcome = .success(result)
    }

    public init(id: JSONRPCID, error: ControlError) {
        self.id = id
        self.outcome = .failure(error)
    }

    /// The result, or the error thrown.
    public func get() throws(ControlError) -> JSONValue {
        try outcome.get()
    }

    private enum CodingKeys: String, CodingKey {
        case jsonrpc, id, result, error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(String.self, forKey: .jsonrpc)
        guard version == "2.0" else {
            throw DecodingError.dataCorruptedError(
                forKey: .jsonrpc, in: container, debugDescription: "jsonrpc must be \"2.0\"")
        }
        id = try container.decodeIfPresent(JSONRPCID.self, forKey: .id) ?? .null
        if let error = try container.decodeIfPresent(ControlError.self, forKey: .error) {
            outcome = .failure(error)
        } else if container.contains(.result) {
            outcome = .success(try container.decode(JSONValue.self, forKey: .result))
        } else {
            throw DecodingError.keyNotFound(
                CodingKeys.result,
                .init(codingPath: container.codingPath, debugDescription: "a response needs result or error"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("2.0", forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        switch outcome {
        case .success(let result): try container.encode(result, forKey: .result)
        case .failure(let error): try container.encode(error, forKey: .error)
        }
    }

    /// One wire line: compact JSON followed by `\n`.
    public func line() throws -> Data {
        var data = try ControlJSON.encoder.encode(self)
        data.append(0x0A)
        return data
    }
}
