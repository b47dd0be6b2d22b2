import AsyncHTTPClient
import DaemonTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import SessionAPIEmulator
import PlatformSync
import Testing

@Suite("SessionAPIEmulator over HTTP")
struct SessionAPIEmulatorTests {
    struct Answer {
        var status: Int
        var body: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any] }
    }

    func send(
        _ http: HTTPClient, _ method: HTTPMethod, _ url: String, body: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: bytes))
    }

    @Test("bad input gets clear 4xx answers; the admin surface drives sessions and faults")
    func contractAndAdmin() async throws {
        let emulator = SessionAPIEmulator(configuration: emulatorConfiguration())
        let port = try await emulator.start()
        let base = "http://127.0.0.1:\(port)"
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        do {
            // Token endpoint: grant type, credentials, scopes.
            var answer = try await send(http, .POST, base + "/oauth/token", body: "grant_type=password", headers: form)
            #expect(answer.status == 400 && answer.json?["error"] as? String == "unsupported_grant_type")
            answer = try await send(
                http, .POST, base + "/oauth/token",
                body: "grant_type=client_credentials&client_id=softphone-test&client_secret=nope", headers: form
            )
            #expect(answer.status == 401)
            answer = try await send(
                http, .POST, base + "/oauth/token",
                body: "grant_type=client_credentials&client_id=softphone-test&client_secret=s3cr%26t%3D%2B+x%25%2F%C3%BC&scope=session%3Aadmin",
                headers: form
            )
            #expect(answer.status == 400 && answer.json?["missingScope"] as? String == "session:admin")
            answer = try await send(
                http, .POST, base + "/oauth/token",
                body: "grant_type=client_credentials&client_id=softphone-test&client_secret=s3cr%26t%3D%2B+x%25%2F%C3%BC",
                headers: form
            )
            #expect(answer.status == 200)
            let token = try #require(answer.json?["access_token"] as? String)
            let auth = [("Authorization", "Bearer \(token)")]

            // Admin: start a session, supervisor mute.
            answer = try await send(http, .POST, base + "/admin/sessions", body: #"{"userId":"agent-7"}"#)
            #expect(answer.status == 201)
            let id = try #require(answer.json?["id"] as? String)
            answer = try await send(http, .POST, base + "/admin/sessions/\(id)/mute")
            #expect(answer.status == 200 && answer.json?["muted"] as? Bool == true)

            // Session resource: auth, body validation, 404.
            let session = base + "/api/v2/interactive/sessions/\(id)"
            #expect(try await send(http, .GET, session).status == 401)
            #expect(try await send(http, .GET, session, headers: [("Authorization", "Bearer forged")]).status == 401)
            answer = try await send(http, .GET, session, headers: auth)
            #expect(answer.status == 200 && answer.json?["muted"] as? Bool == true)
            for bad in [#"{"muted":"yes"}"#, #"{"muted":true,"extra":1}"#, "muted=true", "{}", #"{"muted":1}"#] {
                #expect(try await send(http, .PATCH, session, body: bad, headers: auth).status == 400, "\(bad)")
            }
            #expect(try await send(http, .PATCH, session, body: #"{"muted":false}"#, headers: auth).status == 204)
            #expect(try await send(http, .PATCH, base + "/api/v2/interactive/sessions/none", body: #"{"muted":false}"#, headers: auth).status == 404)
            #expect(try await send(http, .POST, base + "/api/v2/flexiblesearch/queries/sessions/details/query", body: "[]", headers: auth).status == 400)

            // Faults via admin, filtered by path, consumed in order.
            answer = try await send(
                http, .POST, base + "/admin/faults",
                body: #"{"faults":[{"status":429,"headers":{"Retry-After":"1"}},{"status":500}],"path":"/interactive/"}"#
            )
            #expect(answer.status == 200)
            #expect(try await send(http, .GET, session, headers: auth).status == 429)
            #expect(try await send(http, .GET, session, headers: auth).status == 500)
            #expect(try await send(http, .GET, session, headers: auth).status == 200)
            #expect(try await send(http, .POST, base + "/admin/faults", body: #"{"faults":[{"status":42}]}"#).status == 400)

            // Expired tokens, ended sessions, the request log.
            #expect(try await send(http, .POST, base + "/admin/tokens/expire").status == 200)
            #expect(try await send(http, .GET, session, headers: auth).status == 401)
            #expect(try await send(http, .POST, base + "/admin/sessions/\(id)/end").status == 200)
            answer = try await send(http, .GET, base + "/admin/requests")
            #expect(answer.status == 200)
            #expect(!answer.body.contains(token))
            #expect(!answer.body.contains("s3cr"))
            #expect(answer.body.contains("client_secret=<redacted>"))
            #expect(try await send(http, .POST, base + "/admin/reset").status == 204)
            #expect(emulator.sessions().isEmpty && emulator.requestLog().isEmpty)
        } catch {
            try await http.shutdown()
            await emulator.stop()
            throw error
        }
        try await http.shutdown()
        await emulator.stop()
    }

    @Test("autoCreateSessions creates a session for a known user on first query")
    func autoCreate() async throws {
        try await withHarness(emulator: emulatorConfiguration(autoCreate: true)) { h in
            h.service.callStarted(sessionID: nil)
            try await expectEventually("synced", timeout: .seconds(15)) { h.service.status.state == .synced }
            #expect(h.emulator.sessions().count == 1)
            #expect(h.service.status.sessionID == h.emulator.sessions().first?.id)
        }
    }

    @Test("starting twice is refused; stop and start again works")
    func lifecycle() async throws {
        let emulator = SessionAPIEmulator(configuration: emulatorConfiguration())
        let port = try await emulator.start()
        await #expect(throws: SessionAPIEmulatorError.self) { _ = try await emulator.start() }
        await emulator.stop()
        let again = try await emulator.start(port: port)
        #expect(again == port)
        await emulator.stop()
    }
}
