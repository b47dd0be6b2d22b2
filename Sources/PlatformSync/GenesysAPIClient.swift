import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The Genesys Cloud Platform API calls of the `genesys` profile (SPEC §5b) as plain async
/// calls. Each is one logical request: a 401 fetches a new token once and retries once;
/// every other retry belongs to ``GenesysSignaling``.
final class GenesysAPIClient: Sendable {
    /// A notification channel (`POST /notifications/channels`).
    struct Channel: Sendable, Equatable {
        var id: String
        var connectURI: String
        var expires: Date
    }

    private let configuration: PlatformSyncConfiguration
    private let baseURL: String
    private let httpClient: HTTPClient
    let tokens: GenesysTokenSource
    private let logger: Logger

    init(configuration: PlatformSyncConfiguration, settings: GenesysSettings, httpClient: HTTPClient,
         tokens: GenesysTokenSource, logger: Logger) {
        self.configuration = configuration
        self.baseURL = GenesysSettings.trimmed(settings.apiBaseURL)
        self.httpClient = httpClient
        self.tokens = tokens
        self.logger = logger
    }

    /// `GET /users/me` → the user's id.
    func me() async throws -> String {
        let response = try await self.send(.GET, "/users/me", label: "GET users/me")
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let id = object["id"] as? String, !id.isEmpty
        else { throw SignalingError.invalidResponse("GET users/me: the answer has no string \"id\"") }
        return id
    }

    /// `GET /conversations/calls`: the user's active calls.
    func activeCalls() async throws -> [ConversationSnapshot] {
        let label = "GET conversations/calls"
        let response = try await self.send(.GET, "/conversations/calls", label: label)
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw SignalingError.invalidResponse("\(label): the answer is not a JSON object")
        }
        let entities = object["entities"] as? [[String: Any]] ?? []
        return try entities.map { try ConversationSnapshot.parse($0, label: label) }
    }

    /// `GET /conversations/calls/{id}`.
    func call(_ conversationID: String) async throws -> ConversationSnapshot {
        let label = "GET conversations/calls/\(conversationID)"
        let response = try await self.send(.GET, "/conversations/calls/" + Self.escape(conversationID), label: label, notFoundIsGone: true)
        return try ConversationSnapshot.parse(response.body, label: label)
    }

    /// `PATCH /conversations/calls/{cid}/participants/{pid}` with exactly `{"muted": …}` → 202.
    func setMuted(_ muted: Bool, conversationID: String, participantID: String) async throws {
        _ = try await self.send(
            .PATCH, "/conversations/calls/\(Self.escape(conversationID))/participants/\(Self.escape(participantID))",
            body: Data((muted ? #"{"muted":true}"# : #"{"muted":false}"#).utf8),
            label: "PATCH participant \(participantID)", notFoundIsGone: true)
    }

    /// `POST /notifications/channels`.
    func createChannel() async throws -> Channel {
        let label = "POST notifications/channels"
        let response = try await self.send(.POST, "/notifications/channels", label: label)
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let id = object["id"] as? String, let uri = object["connectUri"] as? String,
            let expiresText = object["expires"] as? String
        else { throw SignalingError.invalidResponse("\(label): the answer lacks id, connectUri or expires") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let expires = formatter.date(from: expiresText) ?? plain.date(from: expiresText) else {
            throw SignalingError.invalidResponse("\(label): expires \"\(expiresText)\" is not an ISO-8601 time")
        }
        guard uri.hasPrefix("ws://") || uri.hasPrefix("wss://") else {
            throw SignalingError.invalidResponse("\(label): connectUri is not a ws(s) URL")
        }
        return Channel(id: id, connectURI: uri, expires: expires)
    }

    /// `PUT /notifications/channels/{id}/subscriptions` (replaces the list).
    func subscribe(channelID: String, topics: [String]) async throws {
        let body = try JSONSerialization.data(withJSONObject: topics.map { ["id": $0] })
        _ = try await self.send(.PUT, "/notifications/channels/\(Self.escape(channelID))/subscriptions", body: body,
                                label: "PUT subscriptions")
    }

    /// `HEAD /notifications/channels/{id}`: whether the channel still exists.
    func channelExists(_ channelID: String) async throws -> Bool {
        do {
            _ = try await self.send(.HEAD, "/notifications/channels/\(Self.escape(channelID))", label: "HEAD channel", notFoundIsGone: true)
            return true
        } catch let error as SignalingError where error.isSessionGone {
            return false
        }
    }

    // MARK: - Sending

    static func escape(_ id: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, label: String,
                      notFoundIsGone: Bool = false) async throws -> SessionsAPIClient.RawResponse {
        let token = try await self.tokens.token()
        var response = try await self.execute(method, path, body: body, token: token.value, label: label)
        if response.status == 401 {
            self.logger.debug("token rejected; getting a new one", metadata: ["request": "\(label)"])
            await self.tokens.invalidate(token)
            let fresh = try await self.tokens.token()
            response = try await self.execute(method, path, body: body, token: fresh.value, label: label)
            if response.status == 401 {
                await self.tokens.invalidate(fresh)
                throw SignalingError.unauthorized("\(label): the platform rejected the token (401)")
            }
        }
        if response.status == 404 && notFoundIsGone {
            throw SignalingError.sessionNotFound("\(label): 404, gone")
        }
        try SessionsAPIClient.check(response, label: label, requiredScope: "conversations", sessionCall: false)
        return response
    }

    private func execute(_ method: HTTPMethod, _ path: String, body: Data?, token: Secret, label: String) async throws
        -> SessionsAPIClient.RawResponse
    {
        try await SessionsAPIClient.perform(
            SessionsAPIClient.bearerRequest(method, url: self.baseURL + path, body: body, token: token), client: self.httpClient,
            timeout: self.configuration.requestTimeout, label: label, logger: self.logger)
    }
}
