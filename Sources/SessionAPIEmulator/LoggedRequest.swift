import Foundation

/// One request the emulator served, with credentials redacted.
public struct LoggedRequest: Sendable, Equatable, Codable {
    /// HTTP method.
    public var method: String
    /// Path, without the query string.
    public var path: String
    /// The status the emulator answered with.
    public var status: Int
    /// The request body as text; `client_secret` is replaced by `<redacted>`.
    public var body: String
    /// The `Authorization` scheme with its credentials redacted (`Bearer <redacted>`), if sent.
    public var authorization: String?
    /// The `Content-Type` header, if sent.
    public var contentType: String?
    /// When the request arrived.
    public var at: Date
    /// When the answer was ready.
    public var answeredAt: Date
}
