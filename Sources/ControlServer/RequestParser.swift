import ControlProtocol
import Foundation

/// Turns one received line into a request, or into the JSON-RPC error to answer with.
enum RequestParser {
    enum Outcome: Sendable {
        /// A structurally valid request or notification.
        case request(JSONRPCRequest)
        /// Answer with this error (the id is `null` when it could not be read).
        case reject(JSONRPCID, ControlError)
        /// A blank line: nothing to do.
        case ignore
    }

    private struct IDProbe: Decodable { let id: JSONRPCID }

    static func parse(_ bytes: some Collection<UInt8>) -> Outcome {
        let data = Data(bytes)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
            return .ignore
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            return .reject(.null, .parseError())
        }
        guard let object = value.objectValue else {
            if value.arrayValue != nil {
                return .reject(.null, .invalidRequest("batch requests are not supported; send one request per line"))
            }
            return .reject(.null, .invalidRequest("a request must be a JSON object"))
        }

        var id: JSONRPCID?
        switch object["id"] {
        case .none:
            id = nil
        case .some(.null):
            id = .null
        case .some(.string(let text)):
            id = .string(text)
        case .some(.number):
            // Read the id again from the text so that integers beyond 2^53 stay exact.
            guard let probe = try? JSONDecoder().decode(IDProbe.self, from: data), case .number = probe.id else {
                return .reject(.null, .invalidRequest("id must be an integer, a string or null"))
            }
            id = probe.id
        case .some:
            return .reject(.null, .invalidRequest("id must be an integer, a string or null"))
        }
        let replyID = id ?? .null

        guard object["jsonrpc"]?.stringValue == "2.0" else {
            return .reject(replyID, .invalidRequest("jsonrpc must be \"2.0\""))
        }
        guard let method = object["method"]?.stringValue else {
            return .reject(replyID, .invalidRequest("method must be a string"))
        }
        let params = object["params"]
        switch params {
        case .none, .some(.null), .some(.object), .some(.array):
            break
        case .some:
            return .reject(replyID, .invalidRequest("params must be an object"))
        }
        return .request(JSONRPCRequest(id: id, method: method, params: params))
    }
}
