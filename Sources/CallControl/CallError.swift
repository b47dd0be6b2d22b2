/// Why the call core refused a request. Front ends map the code to their own (JSON-RPC
/// 1001–1005, SIP 481/486/488/500…); the message is a sentence a person can read.
public struct CallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a front end needs to know it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case noActiveCall, callAlreadyActive, badSDP, deviceUnavailable, invalidArgument, internalError
            case notRegistered, farEndRefused
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No call (or no pending offer) for the request.
        public static let noActiveCall = Code(.noActiveCall)
        /// A call is already active or being set up; or the offer is for another session.
        public static let callAlreadyActive = Code(.callAlreadyActive)
        /// The SDP cannot be used (unparseable, nothing in common, a stale version).
        public static let badSDP = Code(.badSDP)
        /// The audio device cannot be opened, or the media threads take no commands.
        public static let deviceUnavailable = Code(.deviceUnavailable)
        /// An argument the front end passed is not usable.
        public static let invalidArgument = Code(.invalidArgument)
        /// Something on this side failed (a socket, a codec, a certificate).
        public static let internalError = Code(.internalError)
        /// The phone line (SIP) is not enabled or not registered.
        public static let notRegistered = Code(.notRegistered)
        /// The far end refused the call (the message has its status and phrase).
        public static let farEndRefused = Code(.farEndRefused)

        public var description: String {
            switch base {
            case .noActiveCall: "noActiveCall"
            case .callAlreadyActive: "callAlreadyActive"
            case .badSDP: "badSDP"
            case .deviceUnavailable: "deviceUnavailable"
            case .invalidArgument: "invalidArgument"
            case .internalError: "internalError"
            case .notRegistered: "notRegistered"
            case .farEndRefused: "farEndRefused"
            }
        }
    }

    public let code: Code
    /// What happened, without the code's prefix (front ends add their own).
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func noActiveCall(_ message: String = "no active call") -> CallError { CallError(code: .noActiveCall, message: message) }
    static func callAlreadyActive(_ message: String = "a call is already active") -> CallError {
        CallError(code: .callAlreadyActive, message: message)
    }
    static func badSDP(_ message: String) -> CallError { CallError(code: .badSDP, message: message) }
    static func deviceUnavailable(_ message: String) -> CallError { CallError(code: .deviceUnavailable, message: message) }
    static func invalidArgument(_ message: String) -> CallError { CallError(code: .invalidArgument, message: message) }
    static func internalError(_ message: String) -> CallError { CallError(code: .internalError, message: message) }
}
