import ArgumentParser
import Foundation
import SessionAPIEmulator

/// `softphone-api-emulator`: the platform on a local port, for trying the daemon without a
/// cloud account: the tutorial's `sessions` REST contract, or (`--profile genesys`) the
/// Genesys Cloud Platform API with its notifications WebSocket.
@main
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softphone-api-emulator",
        abstract: "Emulates the platform's API on a local port: the sessions REST contract, or Genesys Cloud (--profile genesys).",
        discussion: """
            sessions: the admin surface under /admin (loopback callers only) starts sessions, plays a \
            supervisor's mute, injects faults and shows the request log. genesys: OAuth (client credentials, \
            authorization code with PKCE, refresh), users/me, call conversations, the participant PATCH (202, \
            then the event), notification channels and their WebSocket; the control surface is under \
            /__emulator (see the README).
            """
    )

    enum Profile: String, ExpressibleByArgument, CaseIterable { case sessions, genesys }

    @Option(help: "Which platform to emulate: sessions or genesys.")
    var profile: Profile = .sessions

    @Option(help: "genesys: milliseconds between a PATCH's 202 and the change (and its event).")
    var applyDelayMs: Int = 150

    @Option(help: "genesys: milliseconds between WebSocket heartbeats.")
    var heartbeatMs: Int = 30_000

    @Option(help: "genesys: the supervisor's user id (holds conversation:communication:disconnect).")
    var supervisorID: String = "supervisor-1"

    @Flag(help: "genesys: start a connected call for the agent at launch.")
    var startCall = false

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "OAuth client id to accept.")
    var clientID: String = "softphone"

    @Option(help: "OAuth client secret to accept; default \"softphone-secret\" (also --client-secret-file or SOFTPHONE_EMULATOR_CLIENT_SECRET).")
    var clientSecret: String?

    @Option(help: "File holding the OAuth client secret.")
    var clientSecretFile: String?

    @Option(help: "Scopes granted to the client, space-separated.")
    var scopes: String = "session:read session:write"

    @Option(help: "Agent user id; a session is started for it at launch.")
    var userID: String = "agent-1"

    @Option(help: "Token lifetime in seconds (expires_in).")
    var tokenLifetime: Int = 3600

    @Flag(help: "Create a session for a known user when a query finds none.")
    var autoCreateSessions = false

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be 0...65535, got \(self.port)") }
        guard self.tokenLifetime > 0 else { throw ValidationError("--token-lifetime must be positive") }
        guard self.applyDelayMs >= 0 else { throw ValidationError("--apply-delay-ms must not be negative") }
        guard self.heartbeatMs > 0 else { throw ValidationError("--heartbeat-ms must be positive") }
    }

    func run() async throws {
        var secret = self.clientSecret ?? ProcessInfo.processInfo.environment["SOFTPHONE_EMULATOR_CLIENT_SECRET"]
        if let file = self.clientSecretFile {
            do {
                secret = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ValidationError("cannot read --client-secret-file \(file): \(error.localizedDescription)")
            }
        }
        if self.profile == .genesys {
            try await self.runGenesys(secret: secret)
            return
        }
        let configuration = SessionAPIEmulatorConfiguration(
            clients: [
                self.clientID: .init(
                    secret: secret ?? "softphone-secret",
                    grantedScopes: Set(self.scopes.split(separator: " ").map(String.init))
                )
            ],
            users: [self.userID],
            tokenLifetime: self.tokenLifetime,
            autoCreateSessions: self.autoCreateSessions
        )
        let emulator = SessionAPIEmulator(configuration: configuration)
        let session = emulator.createSession(userID: self.userID)
        let port = try await emulator.start(host: self.host, port: self.port)
        let banner = """
            softphone-api-emulator listening on http://\(self.host):\(port)
              base-url:  http://\(self.host):\(port)/api/v2
              token-url: http://\(self.host):\(port)/oauth/token
              client-id: \(self.clientID), user-id: \(self.userID), session: \(session.id)
              admin:     http://\(self.host):\(port)/admin/sessions

            """
        // Unbuffered, so a parent process reading the pipe sees the port at once.
        FileHandle.standardOutput.write(Data(banner.utf8))
        // Serve until interrupted; SIGINT/SIGTERM end the process.
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }

    func runGenesys(secret: String?) async throws {
        let configuration = GenesysEmulatorConfiguration(
            users: [
                .init(id: self.userID, name: "Agent \(self.userID)"),
                .init(id: self.supervisorID, name: "Supervisor", permissions: [GenesysEmulatorConfiguration.disconnectPermission]),
            ],
            clients: [self.clientID: .init(secret: secret)],
            loginUserID: self.userID,
            tokenLifetime: self.tokenLifetime,
            applyDelay: .milliseconds(self.applyDelayMs),
            heartbeatInterval: .milliseconds(self.heartbeatMs))
        let emulator = GenesysEmulator(configuration: configuration)
        let port = try await emulator.start(host: self.host, port: self.port)
        let call = self.startCall ? emulator.createConversation(agentUserID: self.userID) : nil
        let banner = """
            softphone-api-emulator listening on http://\(self.host):\(port) (profile genesys)
              api.base-url:  http://\(self.host):\(port)/api/v2
              api.login-url: http://\(self.host):\(port)
              client-id: \(self.clientID)\(secret == nil ? " (public, PKCE)" : ""), agent: \(self.userID), supervisor: \(self.supervisorID)
              conversation: \(call?.id ?? "none (POST /__emulator/conversations)")
              control:   http://\(self.host):\(port)/__emulator/conversations

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}
