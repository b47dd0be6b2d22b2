import Foundation

/// A JSON-RPC error: the `error` member of a response.
///
/// The daemon's request handler throws these; the server writes them back unchanged.
public struct ControlError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The JSON-RPC error code (negative: protocol; 1001...1005: application).
    public var code: Int
    /// A short sentence a person can read.
    public var message: String
    /// Optional structured detail.
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "error \(code): \(message)" }

    // MARK: Codes

    /// Named error codes of the control protocol (SPEC §4).
    public enum Code {
        public static let parseError = -32700
        public static let invalidRequest = -32600
        public static let methodNotFound = -32601
        public static let invalidParams = -32602
        public static let internalError = -32603
        /// JSON-RPC's implementation-defined server error: the server is at its limit.
        public static let serverBusy = -32000
        public static let noActiveCall = 1001
        public static let callAlreadyActive = 1002
        public static let notPermitted = 1003
        public static let badSDP = 1004
        public static let deviceUnavailable = 1005
        /// SIP is not enabled, or not registered.
        public static let sipNotRegistered = 1006
        /// The SIP far end refused (the message has its status and phrase).
        public static let sipRefused = 1007
    }

    // MARK: Factories

    public static func parseError(_ message: String = "parse error: not valid JSON") -> ControlError {
        ControlError(code: Code.parseError, message: message)
    }
    public static func invalidRequest(_ message: String) -> ControlError {
        ControlError(code: Code.invalidRequest, message: message)
    }
    public static func methodNotFound(_ method: String) -> ControlError {
        ControlError(code: Code.methodNotFound, message: "method not found: \(method)")
    }
    public static func invalidParams(_ message: String) -> ControlError {
        ControlError(code: Code.invalidParams, message: "invalid params: \(message)")
    }
    public static func internalError(_ message: String) -> ControlError {
        ControlError(code: Code.internalError, message: "internal error: \(message)")
    }
    public static func serverBusy(_ message: String) -> ControlError {
        ControlError(code: Code.serverBusy, message: message)
    }
    public static func noActiveCall(_ message: String = "no active call") -> ControlError {
        ControlError(code: Code.noActiveCall, message: message)
    }
    public static func callAlreadyActive(_ message: String = "a call is already active") -> ControlError {
        ControlError(code: Code.callAlreadyActive, message: message)
    }
    public static func notPermitted(_ message: String) -> ControlError {
        ControlError(code: Code.notPermitted, message: message)
    }
    public static func badSDP(_ message: String) -> ControlError {
        ControlError(code: Code.badSDP, message: "bad SDP: \(message)")
    }
    public static func deviceUnavailable(_ message: String) -> ControlError {
        ControlError(code: Code.deviceUnavailable, message: "device unavailable: \(message)")
    }
}
