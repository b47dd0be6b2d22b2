import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import SessionAPIEmulator
import Testing

extension ServiceTests {
    /// SPEC §6 from the outside: the file, the environment's overrides, systemd credentials,
    /// and exit status 78 with the key, the value and the reason for anything invalid.
    @Suite("Configuration")
    struct ConfigurationTests {
        struct Invalid: CustomTestStringConvertible, Sendable {
            var yaml: String
            /// Text stderr must contain: the key, the value and the reason.
            var mentions: [String]
            var testDescription: String { mentions[0] }
        }

        static let invalid: [Invalid] = [
            Invalid(yaml: "opus: { bitrate: 12 }", mentions: ["opus.bitrate", "\"12\"", "between 6000 and 510000"]),
            Invalid(yaml: "mute: { mode: loud }", mentions: ["mute.mode", "\"loud\"", "expected one of silence, disable"]),
            Invalid(yaml: "audio: { source: \"speaker:front\" }", mentions: ["audio.source", "speaker:front", "unknown source kind"]),
            Invalid(yaml: "opus: { fec: maybe }", mentions: ["opus.fec", "\"maybe\"", "expected true or false"]),
            Invalid(yaml: "mute: { sync-device: sometimes }", mentions: ["mute.sync-device", "\"sometimes\"", "expected true or false"]),
            Invalid(yaml: "api: { poll-interval-ms: 5 }", mentions: ["api.poll-interval-ms", "\"5\"", "between 100 and"]),
            Invalid(yaml: "log: { level: chatty }", mentions: ["log.level", "\"chatty\"", "expected one of"]),
            Invalid(yaml: "call: { remote: \"nowhere\", srtp-key: \"inline:AAAA\" }", mentions: ["call.remote", "nowhere"]),
            Invalid(yaml: "opus: [ bitrate: 1", mentions: ["--config", "not a valid YAML configuration", "line 1"]),
            // Once a trap (exit 132, and systemd restarting it in a loop).
            Invalid(yaml: "call: { srtp-suite: \",\", remote: \"127.0.0.1:5004\", srtp-key: \"inline:AAAA\" }",
                    mentions: ["call.srtp-suite", "\",\"", "names no suite"]),
            // A secret file that never ends.
            Invalid(yaml: "api: { client-secret-file: /dev/zero }", mentions: ["api.client-secret-file", "/dev/zero", "is not a regular file"]),
            Invalid(yaml: "api: { profile: genesys }", mentions: ["api.environment", "the genesys profile needs api.environment"]),
            Invalid(yaml: "api: { profile: genesys, environment: mypurecloud.com, grant: password }",
                    mentions: ["api.grant", "\"password\"", "expected one of user-token, pkce, client-credentials"]),
            Invalid(yaml: "api: { profile: genesys, environment: mypurecloud.com, grant: pkce }",
                    mentions: ["api.client-id", "grant pkce needs the OAuth client id"]),
            Invalid(yaml: "api: { profile: genesys, login-url: \"ftp://login\", base-url: \"https://api.x/api/v2\" }",
                    mentions: ["api.login-url", "ftp://login", "expected an http or https URL"]),
            Invalid(yaml: "sip: { enabled: true, aor: \"1001@pbx\" }", mentions: ["sip.aor", "1001@pbx", "expected a sip: or sips: URI"]),
            Invalid(yaml: "sip: { enabled: true, listen: [\"sctp:5060\"] }", mentions: ["sip.listen", "sctp:5060", "expected udp, tcp or tls"]),
            Invalid(yaml: "sip: { enabled: true, media-encryption: none }", mentions: ["sip.media-encryption", "none", "SDES-SRTP only"]),
            Invalid(yaml: "sip: { enabled: true, auto-answer: sometimes }", mentions: ["sip.auto-answer", "sometimes", "expected off, header or always"]),
            Invalid(yaml: "sip: { enabled: true, expires: 5 }", mentions: ["sip.expires", "\"5\"", "between 10 and 86400"]),
            Invalid(yaml: "sip: { enabled: true, password-file: /dev/zero }", mentions: ["sip.password-file", "/dev/zero", "is not a regular file"]),
            Invalid(yaml: "sip: { enabled: true, conversation-header: \"X Conv: 1\" }", mentions: ["sip.conversation-header", "expected a header name"]),
        ]

        @Test("an invalid value is refused at start: exit status 78, stderr names key, value and reason", arguments: invalid)
        func invalidValue(_ case_: Invalid) async throws {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("softphoned.yaml")
            try case_.yaml.write(to: file, atomically: true, encoding: .utf8)
            let run = try await ServiceTests.softphoned(["--config", file.path])
            #expect(run.status == 78, "stderr: \(run.stderr)")
            for text in case_.mentions {
                #expect(run.stderr.contains(text), "stderr should mention \(text): \(run.stderr)")
            }
            // Refused before anything started: no control socket was created.
            #expect(!run.stderr.contains("control socket listening"))
        }

        @Test("the SIP password comes from its file or the credentials directory and shows nowhere: --print-config redacts it")
        func sipPasswordRedacted() async throws {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let password = directory.appendingPathComponent("sip-password")
            try "s3cret-sip-password\n".write(to: password, atomically: true, encoding: .utf8)
            let file = directory.appendingPathComponent("softphoned.yaml")
            try "sip: { enabled: true, aor: \"sip:1001@pbx.example.org\", password-file: \"\(password.path)\" }"
                .write(to: file, atomically: true, encoding: .utf8)
            let run = try await ServiceTests.softphoned(["--config", file.path, "--print-config"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("sip.password: <redacted>"), "\(run.stdout)")
            #expect(run.stdout.contains("sip.registrar: sip:pbx.example.org"))
            #expect(run.stdout.contains("sip.auth-user: 1001"))
            #expect(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"))
        }

        @Test("a malformed SRTP key is refused by name without showing the key material")
        func srtpKeyNeverShown() async throws {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("softphoned.yaml")
            // 16 bytes of key+salt where AES_CM_128 needs 30: valid base64, wrong length.
            let material = "c2VjcmV0LWtleS1tYXRlcmlhbA=="
            for key in ["inline:AAAA", "inline:\(material)", "inline:not*base64*at*all"] {
                try "call: { remote: \"127.0.0.1:5004\", srtp-key: \"\(key)\" }".write(to: file, atomically: true, encoding: .utf8)
                let run = try await ServiceTests.softphoned(["--config", file.path])
                #expect(run.status == 78)
                #expect(run.stderr.contains("call.srtp-key"), "\(run.stderr)")
                let secretPart = String(key.dropFirst("inline:".count))
                #expect(!run.stderr.contains(secretPart), "the key material leaked: \(run.stderr)")
                #expect(!run.stdout.contains(secretPart))
            }
        }

        @Test("--config naming a missing file: exit 78 with the path")
        func missingFile() async throws {
            let run = try await ServiceTests.softphoned(["--config", "/nonexistent/softphoned-\(UUID().uuidString).yaml"])
            #expect(run.status == 78)
            #expect(run.stderr.contains("--config") && run.stderr.contains("/nonexistent/softphoned-") && run.stderr.contains("no such file"),
                    "\(run.stderr)")
        }

        @Test("SOFTPHONED_* variables override the file key by key, and are validated like it")
        func environmentOverrides() async throws {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("softphoned.yaml")
            try "mute: { mode: silence }\nopus: { bitrate: 24000, complexity: 5 }\n".write(to: file, atomically: true, encoding: .utf8)

            let refused = try await ServiceTests.softphoned(["--config", file.path], environment: ["SOFTPHONED_OPUS_BITRATE": "abc"])
            #expect(refused.status == 78)
            #expect(refused.stderr.contains("opus.bitrate") && refused.stderr.contains("\"abc\"")
                    && refused.stderr.contains("expected a whole number"), "\(refused.stderr)")

            let plain = try await ServiceTests.softphoned(["--config", file.path, "--print-config"])
            #expect(plain.status == 0)
            #expect(plain.stdout.contains("mute.mode: silence"))
            #expect(plain.stdout.contains("opus.bitrate: 24000"))

            let overridden = try await ServiceTests.softphoned(["--config", file.path, "--print-config"],
                                                        environment: ["SOFTPHONED_MUTE_MODE": "disable", "SOFTPHONED_OPUS_BITRATE": "16000"])
            #expect(overridden.status == 0, "\(overridden.stderr)")
            #expect(overridden.stdout.contains("mute.mode: disable"), "\(overridden.stdout)")
            #expect(overridden.stdout.contains("opus.bitrate: 16000"))
            // Key by key: what the environment does not name still comes from the file.
            #expect(overridden.stdout.contains("opus.complexity: 5"))
        }

        @Test("audio.mixer: derived from audio.source unless set; mute.sync-device turns the sync off")
        func mixerKeys() async throws {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("softphoned.yaml")
            try "audio: { source: \"alsa:plughw:CARD=Headset,DEV=0\" }\n".write(to: file, atomically: true, encoding: .utf8)
            let derived = try await ServiceTests.softphoned(["--config", file.path, "--print-config"])
            #expect(derived.stdout.contains("audio.mixer: hw:CARD=Headset (from audio.source)"), "\(derived.stdout)")
            #expect(derived.stdout.contains("mute.sync-device: true"))
            let named = try await ServiceTests.softphoned(["--config", file.path, "--print-config"],
                                                   environment: ["SOFTPHONED_AUDIO_MIXER": "pulse", "SOFTPHONED_MUTE_SYNC_DEVICE": "false"])
            #expect(named.stdout.contains("audio.mixer: pulse\n"), "\(named.stdout)")
            #expect(named.stdout.contains("mute.sync-device: false"))
        }

        @Test("api.client-secret: redacted in --print-config from the file, GENESYS_CLIENT_SECRET and $CREDENTIALS_DIRECTORY")
        func secretSources() async throws {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("softphoned.yaml")
            let base = "api: { base-url: \"http://127.0.0.1:9/api/v2\", client-id: app, user-id: agent-1 }\n"
            try base.write(to: file, atomically: true, encoding: .utf8)

            let unset = try await ServiceTests.softphoned(["--config", file.path, "--print-config"])
            #expect(unset.stdout.contains("api.client-secret: (unset)"), "\(unset.stdout) \(unset.stderr)")

            let fromAlias = try await ServiceTests.softphoned(["--config", file.path, "--print-config"],
                                                       environment: ["GENESYS_CLIENT_SECRET": "alias-secret-7781"])
            #expect(fromAlias.stdout.contains("api.client-secret: <redacted>"))
            #expect(!(fromAlias.stdout + fromAlias.stderr).contains("alias-secret-7781"))

            let credentials = directory.appendingPathComponent("credentials")
            try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
            try "credential-secret-4410\n".write(to: credentials.appendingPathComponent("client-secret"), atomically: true, encoding: .utf8)
            let fromCredential = try await ServiceTests.softphoned(["--config", file.path, "--print-config"],
                                                            environment: ["CREDENTIALS_DIRECTORY": credentials.path])
            #expect(fromCredential.stdout.contains("api.client-secret: <redacted>"))
            #expect(!(fromCredential.stdout + fromCredential.stderr).contains("credential-secret-4410"))

            try """
                api:
                  base-url: "http://127.0.0.1:9/api/v2"
                  client-id: app
                  user-id: agent-1
                  client-secret: "file-secret-9127"
                """.write(to: file, atomically: true, encoding: .utf8)
            let fromFile = try await ServiceTests.softphoned(["--config", file.path, "--print-config"])
            #expect(fromFile.stdout.contains("api.client-secret: <redacted>"))
            #expect(!(fromFile.stdout + fromFile.stderr).contains("file-secret-9127"))
        }

        /// The secret from each source really reaches the platform (the emulator issues a
        /// token only for the right one), and neither it nor the token is ever logged.
        @Test("the client secret from GENESYS_CLIENT_SECRET or $CREDENTIALS_DIRECTORY authenticates; never logged",
              arguments: ["alias", "credentials", "wrong"])
        func secretReachesThePlatform(source: String) async throws {
            let secret = "platform-secret-\(UUID().uuidString.prefix(8))"
            let emulator = SessionAPIEmulator(configuration: .init(
                clients: ["agent-app": .init(secret: secret)], users: ["agent-1"], autoCreateSessions: true))
            let port = try await emulator.start()
            let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
            defer { receiver.stop() }
            let directory = try DaemonProcess.makeDirectory()
            var environment: [String: String] = [:]
            switch source {
            case "alias": environment["GENESYS_CLIENT_SECRET"] = secret
            case "credentials":
                let credentials = directory.appendingPathComponent("credentials")
                try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
                try secret.write(to: credentials.appendingPathComponent("client-secret"), atomically: true, encoding: .utf8)
                environment["CREDENTIALS_DIRECTORY"] = credentials.path
            default: environment["GENESYS_CLIENT_SECRET"] = "not-the-secret"
            }
            let daemon = try await DaemonProcess.start(yaml: ServiceTests.callYAML(to: receiver, extra: """
                api:
                  base-url: "http://127.0.0.1:\(port)/api/v2"
                  token-url: "http://127.0.0.1:\(port)/oauth/token"
                  client-id: agent-app
                  user-id: agent-1
                  poll-interval-ms: 200
                """, level: "debug"), environment: environment, directory: directory)
            let client = try ControlClient(path: daemon.socketPath)
            func signalingState() async throws -> String? {
                ((try await client.result("status"))["signaling"] as? [String: Any])?["state"] as? String
            }
            if source == "wrong" {
                #expect(try await eventually(timeout: .seconds(10), poll: .milliseconds(20)) { try await ["retrying", "failed"].contains(signalingState()) },
                        "a wrong secret must not sync: \(daemon.log)")
                #expect(emulator.issuedTokens().isEmpty)
            } else {
                #expect(try await eventually(timeout: .seconds(10), poll: .milliseconds(20)) { try await signalingState() == "synced" }, "\(daemon.log)")
                #expect(!emulator.issuedTokens().isEmpty)
            }
            // Make the daemon log some more, then look at everything it wrote.
            _ = try await client.result("mute")
            _ = try await client.result("unmute")
            try await Task.sleep(for: .milliseconds(300))
            let tokens = emulator.issuedTokens()
            daemon.stop()
            await emulator.stop()
            let log = daemon.log
            #expect(!log.contains(secret), "the client secret appeared in the log")
            for token in tokens {
                #expect(!log.contains(token), "an access token appeared in the log")
            }
        }
    }
}
