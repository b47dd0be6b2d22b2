import ArgumentParser
import Foundation
import SessionAPIEmulator

/// `softphone-api-emulator`: the platform's `sessions` REST contract on a local port, for
/// trying the daemon without a cloud account.
@main
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softphone-api-emulator",
        abstract: "Emulates the platform's sessions REST API (token, session query, GET/PATCH) on a local port.",
        discussion: """
            The admin surface under /admin (loopback callers only) starts sessions, plays a \
            supervisor's mute, injects faults and shows the request log; see the README.
            """
    )

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
}
