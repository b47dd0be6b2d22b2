/// An error from REST signaling. Its description says what failed and why, and never
/// contains a secret or a token.
public struct SignalingError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case configuration
        case transport
        case http(status: Int)
        case forbidden(scope: String)
        case sessionNotFound
        case invalidResponse
        case unauthorized
        case retryAfterTooLong
    }

    private let code: Code
    /// Human-readable detail.
    public let message: String
    /// For a 429 or 503 with `Retry-After`, how long the platform asked us to wait.
    public let retryAfter: Duration?

    private init(_ code: Code, _ message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// A setting is missing or malformed.
    public static func configuration(_ message: String) -> SignalingError {
        SignalingError(.configuration, message)
    }

    /// The request did not complete: refused connection, timeout, reset.
    public static func transport(_ message: String) -> SignalingError {
        SignalingError(.transport, message)
    }

    /// The platform answered with an unexpected HTTP status.
    public static func http(status: Int, _ message: String, retryAfter: Duration? = nil) -> SignalingError {
        SignalingError(.http(status: status), message, retryAfter: retryAfter)
    }

    /// The platform answered 403: the token lacks `scope`.
    public static func forbidden(scope: String, _ message: String) -> SignalingError {
        SignalingError(.forbidden(scope: scope), message)
    }

    /// The platform answered 404 for the session: it has ended.
    public static func sessionNotFound(_ message: String) -> SignalingError {
        SignalingError(.sessionNotFound, message)
    }

    /// The platform's answer could not be understood.
    public static func invalidResponse(_ message: String) -> SignalingError {
        SignalingError(.invalidResponse, message)
    }

    /// No usable token: none handed over yet, expired, or rejected after a refresh. Not
    /// retried until the token changes (`auth.setToken`, the token file, `softphonectl login`).
    public static func unauthorized(_ message: String) -> SignalingError {
        SignalingError(.unauthorized, message)
    }

    /// A 429 asked for a longer wait than the profile honours: given up.
    public static func retryAfterTooLong(_ message: String, retryAfter: Duration) -> SignalingError {
        SignalingError(.retryAfterTooLong, message, retryAfter: retryAfter)
    }

    /// Whether the error is the lack of a usable token.
    public var isUnauthorized: Bool { self.code == .unauthorized }

    /// The HTTP status that caused the error, if any.
    public var statusCode: Int? {
        switch self.code {
        case .http(let status): status
        case .forbidden: 403
        case .sessionNotFound: 404
        case .unauthorized: 401
        case .retryAfterTooLong: 429
        default: nil
        }
    }

    /// The scope a 403 said (or implied) is missing.
    public var missingScope: String? {
        if case .forbidden(let scope) = self.code { return scope }
        return nil
    }

    /// Whether the session has ended (404) and must be found again.
    public var isSessionGone: Bool { self.code == .sessionNotFound }

    /// Whether retrying later may succeed: transport failures, timeouts, 408, 429, 5xx,
    /// a repeated 401 and unreadable answers. 400, 403 and configuration errors are final.
    public var isRetryable: Bool {
        switch self.code {
        case .transport, .invalidResponse: true
        case .http(let status): status == 401 || status == 408 || status == 429 || status >= 500
        case .configuration, .forbidden, .sessionNotFound, .unauthorized, .retryAfterTooLong: false
        }
    }

    public var description: String { self.message }
}
