import ArgumentParser
import ControlProtocol
import Foundation

/// `softphonectl login`: the authorization-code flow with PKCE for the `genesys` profile's
/// grant `pkce`. The daemon listens for the redirect on 127.0.0.1 and keeps the tokens;
/// this command only prints the URL to open and waits until the login completed. No token
/// passes through it.
struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log the daemon in to Genesys Cloud (grant pkce): prints the URL to open, waits for the login.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Seconds to wait for the login in the browser.")
    var timeout: Int = 300

    func validate() throws {
        guard (1...3600).contains(timeout) else { throw ValidationError("--timeout must be 1…3600 seconds") }
    }

    func run() throws {
        let client = try global.connect()
        let started = try client.call(.authLogin)
        let login: LoginResult
        do { login = try ControlParams.decode(LoginResult.self, from: started) } catch {
            throw ClientError(kind: .protocolFailure, description: "unexpected answer to auth.login: \(error)")
        }
        if global.json {
            Output.json(started)
        } else {
            // Written unbuffered: the agent must see the URL while the command waits.
            FileHandle.standardOutput.write(Data("""
                Open this URL in a browser on this machine and sign in:

                  \(login.url)

                Waiting for the platform to redirect to \(login.redirectUri) …

                """.utf8))
        }
        let done = try client.call(.authLoginWait, params: .object(["timeoutSeconds": .number(Double(timeout))]))
        if global.json { Output.json(done) } else { print("Logged in; softphoned keeps the refresh token.") }
    }
}

/// `softphonectl set-token`: hands a user token to the daemon (grant `user-token`), read
/// from standard input so it never appears on a command line.
struct SetTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-token",
        abstract: "Hand the agent's Genesys Cloud user token to the daemon (read from standard input).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Seconds until the token expires (expires_in).")
    var expiresIn: Int?

    func validate() throws {
        if let expiresIn, expiresIn <= 0 { throw ValidationError("--expires-in must be positive") }
    }

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let token = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ValidationError("no token on standard input") }
        var params: [String: JSONValue] = ["accessToken": .string(token)]
        if let expiresIn { params["expiresIn"] = .number(Double(expiresIn)) }
        let result = try global.connect().call(.authSetToken, params: .object(params))
        if global.json { Output.json(result) } else { print("token accepted") }
    }
}
