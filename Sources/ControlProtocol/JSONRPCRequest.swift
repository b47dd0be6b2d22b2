import Foundation

/// A JSON-RPC 2.0 request, or a notification when `id` is absent.
public struct JSONRPCRequest: Sendable, Hashable, Codable {
    public var jsonrpc: String
    /// The id to echo back; `nil` (the member is absent) makes this a notification, which gets no reply.
    public var id: JSONRPCID?
    public var method: String
    public var params: JSONValue?

    public init(id: JSONRPCID?, method: String, params: JSONValue? = nil) {
        self.jsonrpc = "2.0"
        self.id = id
        self.method = method
        self.params = params
    }

    /// Whether the sender expects no reply.
    public var isNotification: Bool { id == nil }

    /// One wire line: compact JSON followed by `\n`.
    public func line() throws -> Data {
        var data = try ControlJSON.encoder.encode(self)
        data.append(0x0A)
        return data
    }
}
