/// A canned answer the emulator gives instead of serving a request.
public struct InjectedFault: Sendable, Equatable, Codable {
    /// HTTP status to answer with.
    public var status: Int
    /// Extra response headers, e.g. `Retry-After`.
    public var headers: [String: String]
    /// Response body (JSON text), if any.
    public var body: String?

    public init(status: Int, headers: [String: String] = [:], body: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `429 Too Many Requests` with a `Retry-After` value (seconds or HTTP date).
    public static func tooManyRequests(retryAfter: String) -> InjectedFault {
        InjectedFault(status: 429, headers: ["Retry-After": retryAfter], body: #"{"message":"rate limited"}"#)
    }

    /// A bare status, e.g. `.status(500)`.
    public static func status(_ status: Int) -> InjectedFault {
        InjectedFault(status: status, body: #"{"message":"injected fault"}"#)
    }
}
