import Configuration
import Foundation
import MediaCore
import SIPPhone
import MediaEngine
import PlatformSync
import SystemPackage

/// Reads `DaemonConfiguration` from a YAML file, `SOFTPHONED_*` environment variables
/// (which win, key by key), systemd credentials and the user's documents' variables.
///
/// Every value is read as text and checked here, so a bad one is refused with its key,
/// its value and the reason, instead of silently falling back to a default.
public enum ConfigurationLoader {
    /// Variables from the platform's tutorials, honoured as aliases (SPEC §6).
    static let aliases: [String: String] = [
        "GENESYS_CLIENT_ID": "SOFTPHONED_API_CLIENT_ID",
        "GENESYS_CLIENT_SECRET": "SOFTPHONED_API_CLIENT_SECRET",
        "GENESYS_ORG_NAME": "SOFTPHONED_API_ORG",
        "AGENT_USER_ID": "SOFTPHONED_API_USER_ID",
    ]

    /// The default file: `$XDG_CONFIG_HOME/softphoned/softphoned.yaml` (or `~/.config/…`),
    /// `/etc/softphoned/softphoned.yaml` for root.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if getuid() == 0 && environment["XDG_CONFIG_HOME"] == nil { return "/etc/softphoned/softphoned.yaml" }
        let base = environment["XDG_CONFIG_HOME"] ?? ((environment["HOME"] ?? "/root") + "/.config")
        return base + "/softphoned/softphoned.yaml"
    }

    /// Loads and validates the configuration.
    /// - Parameters:
    ///   - path: the YAML file; `nil` uses `defaultPath` and tolerates its absence.
    ///   - environment: the process environment (tests pass their own).
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> DaemonConfiguration {
        var env = environment
        for (alias, key) in aliases where env[key] == nil {
            if let value = env[alias] { env[key] = value }
        }
        // Written verbatim into every SDP: anything but a numeric address would corrupt it.
        if let address = env["SOFTPHONED_SDP_ADDRESS"], !address.isEmpty, !IPAddressLiteral.isValid(address) {
            throw ConfigurationError(key: "SOFTPHONED_SDP_ADDRESS", value: address, reason: "expected a numeric IPv4 or IPv6 address")
        }
        let filePath = path ?? defaultPath(environment: environment)
        if path != nil && !FileManager.default.fileExists(atPath: filePath) {
            throw ConfigurationError(key: "--config", value: filePath, reason: "no such file")
        }
        if FileManager.default.fileExists(atPath: filePath), !isRegularFile(filePath) {
            throw ConfigurationError(key: "--config", value: filePath, reason: "is not a regular file")
        }
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(
                environmentVariables: env.filter { $0.key.hasPrefix("SOFTPHONED_") },
                secretsSpecifier: .specific(["SOFTPHONED_API_CLIENT_SECRET"])
            ).prefixKeys(with: "softphoned"),
        ]
        do {
            providers.append(try await FileProvider<YAMLSnapshot>(
                parsingOptions: .init(secretsSpecifier: .specific([ConfigurationKey.apiClientSecret.rawValue])),
                filePath: FilePath(filePath), allowMissing: path == nil))
        } catch {
            throw ConfigurationError(key: "--config", value: filePath, reason: "not a valid YAML configuration: \(error)")
        }
        let reader = ConfigReader(providers: providers)
        var config = try read(reader, environment: environment)
        if config.api.profile == .genesys && config.api.grant == .pkce && config.api.stateDirectory == nil {
            config.api.stateDirectory = environment["CREDENTIALS_DIRECTORY"].map { _ in
                // Credentials are read-only: the refresh token lives in the state directory.
                environment["STATE_DIRECTORY"] ?? ((environment["XDG_STATE_HOME"] ?? ((environment["HOME"] ?? "/root") + "/.local/state")) + "/softphoned")
            } ?? ((environment["XDG_STATE_HOME"] ?? ((environment["HOME"] ?? "/root") + "/.local/state")) + "/softphoned")
        }
        config.pulseSource = environment["PULSE_SOURCE"]
        if config.api.clientSecret == nil {
            config.api.clientSecret = try readSecret(reader: reader, environment: env)
        }
        if config.sip != nil {
            config.sip?.password = try readSIPPassword(reader: reader, environment: env)
            config.sip?.runtimeDirectory = environment["RUNTIME_DIRECTORY"] ?? environment["XDG_RUNTIME_DIR"] ?? NSTemporaryDirectory()
        }
        return config
    }

    /// The secret from `$CREDENTIALS_DIRECTORY/client-secret` (systemd `LoadCredential=`)
    /// or `api.client-secret-file`.
    static func readSecret(reader: ConfigReader, environment: [String: String]) throws -> String? {
        if let directory = environment["CREDENTIALS_DIRECTORY"] {
            let file = directory + "/client-secret"
            if let data = try readSmallFile(file, key: "CREDENTIALS_DIRECTORY") {
                let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                // An empty credential (the installer's placeholder) means "not configured".
                if !secret.isEmpty { return secret }
            }
        }
        if let file = reader.string(forKey: ConfigKey(ConfigurationKey.apiClientSecretFile.rawValue)) {
            guard let data = try readSmallFile(file, key: "api.client-secret-file") else {
                throw ConfigurationError(key: "api.client-secret-file", value: file, reason: "cannot be read")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    /// The SIP password from `$CREDENTIALS_DIRECTORY/sip-password` or `sip.password-file`
    /// (never from the file itself, the environment or the command line).
    static func readSIPPassword(reader: ConfigReader, environment: [String: String]) throws -> String? {
        if let directory = environment["CREDENTIALS_DIRECTORY"],
           let data = try readSmallFile(directory + "/sip-password", key: "CREDENTIALS_DIRECTORY") {
            let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !secret.isEmpty { return secret }
        }
        guard let file = reader.string(forKey: ConfigKey(ConfigurationKey.sipPasswordFile.rawValue)), !file.isEmpty else { return nil }
        guard let data = try readSmallFile(file, key: "sip.password-file") else {
            throw ConfigurationError(key: "sip.password-file", value: file, reason: "cannot be read")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `sip.*` (SPEC §5c): nil unless `sip.enabled`.
    static func sipSettings(_ r: Fields) throws -> SIPSettings? {
        guard try r.bool(.sipEnabled, false) else { return nil }
        var s = SIPSettings()
        s.aor = r.string(.sipAOR)?.trimmingCharacters(in: .whitespaces) ?? ""
        if !s.aor.isEmpty, s.addressOfRecord == nil {
            throw ConfigurationError(key: "sip.aor", value: s.aor, reason: "expected a sip: or sips: URI with a domain, e.g. sip:1001@pbx.example.org")
        }
        s.authUser = r.string(.sipAuthUser) ?? ""
        s.registrar = r.string(.sipRegistrar)?.trimmingCharacters(in: .whitespaces) ?? ""
        if !s.registrar.isEmpty, SIPSettings.host(s.registrar) == nil {
            throw ConfigurationError(key: "sip.registrar", value: s.registrar, reason: "expected a host[:port] or a sip:/sips: URI")
        }
        s.outboundProxy = r.string(.sipOutboundProxy)?.trimmingCharacters(in: .whitespaces) ?? ""
        if !s.outboundProxy.isEmpty, SIPSettings.host(s.outboundProxy) == nil {
            throw ConfigurationError(key: "sip.outbound-proxy", value: s.outboundProxy, reason: "expected a sip:/sips: URI")
        }
        if r.string(.sipListen) != nil || r.stringArray(.sipListen) != nil {
            let items = r.list(.sipListen)
            s.listen = try items.map { item in
                guard let address = SIPListenAddress(item) else {
                    throw ConfigurationError(key: "sip.listen", value: item, reason: "expected udp, tcp or tls, with :port or :host:port")
                }
                return address
            }
            guard !s.listen.isEmpty else { throw ConfigurationError(key: "sip.listen", value: "", reason: "name at least one transport") }
        }
        s.expires = try r.int(.sipExpires, s.expires, in: 10...86_400)
        s.keepaliveSeconds = try r.int(.sipKeepalive, s.keepaliveSeconds, in: 0...3600)
        s.tlsCAFile = r.string(.sipTLSCAFile) ?? ""
        if !s.tlsCAFile.isEmpty, !isRegularFile(s.tlsCAFile) {
            throw ConfigurationError(key: "sip.tls-ca-file", value: s.tlsCAFile, reason: "no such file")
        }
        s.tlsVerify = try r.bool(.sipTLSVerify, true)
        s.mediaEncryption = try r.choice(.sipMediaEncryption, s.mediaEncryption)
        if s.mediaEncryption != .srtp {
            throw ConfigurationError(key: "sip.media-encryption", value: s.mediaEncryption.rawValue,
                                     reason: "this version speaks SDES-SRTP only (srtp); plain RTP is not offered")
        }
        s.dtmf = try r.choice(.sipDTMF, s.dtmf)
        // YAML reads a bare `off` as false.
        switch r.string(.sipAutoAnswer)?.lowercased() {
        case nil: break
        case "off", "false", "no": s.autoAnswer = .off
        case "header": s.autoAnswer = .header
        case "always", "true", "yes", "on": s.autoAnswer = .always
        case let other?: throw ConfigurationError(key: "sip.auto-answer", value: other, reason: "expected off, header or always")
        }
        s.conversationHeader = r.string(.sipConversationHeader)?.trimmingCharacters(in: .whitespaces) ?? ""
        if !s.conversationHeader.isEmpty,
           !s.conversationHeader.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
            throw ConfigurationError(key: "sip.conversation-header", value: s.conversationHeader, reason: "expected a header name")
        }
        return s
    }

    static func read(_ reader: ConfigReader, environment: [String: String] = [:]) throws -> DaemonConfiguration {
        var c = DaemonConfiguration()
        let r = Fields(reader: reader)
        c.audioSource = try r.parse(.audioSource, c.audioSource) { v throws(AudioSpecError) in try AudioSourceSpec(parsing: v) }
        c.audioPlayback = try r.parse(.audioPlayback, c.audioPlayback) { v throws(AudioSpecError) in try AudioSinkSpec(parsing: v) }
        if let mixer = r.string(.audioMixer)?.trimmingCharacters(in: .whitespaces), !mixer.isEmpty { c.audioMixer = mixer }
        c.opus.bitrate = try r.int(.opusBitrate, c.opus.bitrate, in: 6_000...510_000)
        c.opus.complexity = try r.int(.opusComplexity, c.opus.complexity, in: 0...10)
        c.opus.fec = try r.bool(.opusFEC, c.opus.fec)
        c.opus.dtx = try r.bool(.opusDTX, c.opus.dtx)
        c.opus.expectedLossPercent = try r.int(.opusExpectedLoss, c.opus.expectedLossPercent, in: 0...100)
        if r.string(.mediaCodecs) != nil || r.stringArray(.mediaCodecs) != nil {
            c.codecs = try codecs(r.list(.mediaCodecs))
        }
        c.muteMode = try r.choice(.muteMode, c.muteMode)
        c.muteInitial = try r.bool(.muteInitial, c.muteInitial)
        c.mutePersistAcrossCalls = try r.bool(.mutePersistAcrossCalls, c.mutePersistAcrossCalls)
        c.muteSyncDevice = try r.bool(.muteSyncDevice, c.muteSyncDevice)
        c.sip = try sipSettings(r)

        c.localPort = UInt16(try r.int(.callLocalPort, 0, in: 0...65_535))
        c.payloadType = UInt8(try r.int(.callPayloadType, 111, in: 96...127))
        c.mediaTimeoutSeconds = Double(try r.int(.callMediaTimeout, 30, in: 0...86_400))
        if let suites = r.string(.callSRTPSuite) {
            c.srtpSuites = try suites.split(separator: ",").map { name in
                guard let suite = SRTPSuite(name: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigurationError(key: "call.srtp-suite", value: suites,
                                             reason: "unknown suite; expected one of \(SRTPSuite.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return suite
            }
            // "" or "," name no suite: refused here, not found empty when the first is taken.
            guard !c.srtpSuites.isEmpty else {
                throw ConfigurationError(key: "call.srtp-suite", value: suites,
                                         reason: "names no suite; expected one or more of \(SRTPSuite.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let remote = r.string(.callRemote) {
            c.call = try staticCall(remote: remote, suite: c.srtpSuites[0], r)
        }
        c.callTransport = try r.choice(.callTransport, c.callTransport)
        c.webrtc = try webrtc(r, environment: environment)

        c.controlSocket = r.string(.controlSocket)
        if let uids = r.string(.controlAllowedUIDs) ?? r.stringArray(.controlAllowedUIDs)?.joined(separator: ",") {
            c.allowedUIDs = try uids.split(separator: ",").map { text in
                guard let uid = UInt32(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigurationError(key: "control.allowed-uids", value: uids, reason: "expected a list of numeric user ids")
                }
                return uid
            }
        }
        if let group = r.string(.controlAllowedGroup), !group.isEmpty { c.allowedGroup = group }

        c.api.profile = try r.choice(.apiProfile, r.string(.apiOrg) == nil && r.string(.apiBaseURL) == nil ? .none : .sessions)
        c.api.org = r.string(.apiOrg)
        c.api.baseURL = try r.url(.apiBaseURL)
        c.api.tokenURL = try r.url(.apiTokenURL)
        c.api.clientID = r.string(.apiClientID)
        c.api.clientSecret = r.string(.apiClientSecret, secret: true)
        c.api.userID = r.string(.apiUserID)
        c.api.scope = r.string(.apiScope) ?? c.api.scope
        c.api.pollIntervalMilliseconds = try r.int(.apiPollIntervalMS, c.api.pollIntervalMilliseconds, in: 100...600_000)
        c.api.verify = try r.bool(.apiVerify, c.api.verify)
        c.api.environment = r.string(.apiEnvironment)
        c.api.loginURL = try r.url(.apiLoginURL)
        c.api.grant = try r.choice(.apiGrant, c.api.grant)
        c.api.tokenFile = r.string(.apiTokenFile)
        c.api.stateDirectory = r.string(.apiStateDirectory)
        c.api.redirectPort = try r.int(.apiRedirectPort, 0, in: 0...65_535)
        c.api.socketSilenceMilliseconds = try r.int(.apiSocketSilenceMS, c.api.socketSilenceMilliseconds, in: 50...600_000)
        c.api.pongTimeoutMilliseconds = try r.int(.apiPongTimeoutMS, c.api.pongTimeoutMilliseconds, in: 50...600_000)
        c.api.confirmationTimeoutMilliseconds = try r.int(.apiConfirmationTimeoutMS, c.api.confirmationTimeoutMilliseconds, in: 50...600_000)
        if c.api.profile == .genesys {
            if c.api.genesysBaseURL == nil || c.api.genesysLoginURL == nil {
                throw ConfigurationError(key: "api.environment", value: nil, reason: "the genesys profile needs api.environment (e.g. mypurecloud.com) or api.base-url and api.login-url")
            }
            if c.api.grant != .userToken && c.api.clientID == nil {
                throw ConfigurationError(key: "api.client-id", value: nil, reason: "grant \(c.api.grant.rawValue) needs the OAuth client id")
            }
        }
        if c.api.profile == .sessions {
            if c.api.effectiveBaseURL == nil { throw ConfigurationError(key: "api.org", value: nil, reason: "the sessions profile needs api.org or api.base-url") }
            if c.api.clientID == nil { throw ConfigurationError(key: "api.client-id", value: nil, reason: "the sessions profile needs a client id") }
            if c.api.userID == nil { throw ConfigurationError(key: "api.user-id", value: nil, reason: "the sessions profile needs the agent's user id") }
        }
        c.logLevel = try r.choice(.logLevel, c.logLevel)
        return c
    }

    /// `webrtc.*`. TURN relays are URLs (RFC 7065: `turn:host:port?transport=udp|tcp`,
    /// `turns:host:port`) sharing one username and credential: the configuration's lists hold
    /// scalars only. The credential comes from `webrtc.turn-credential-file` or
    /// `$CREDENTIALS_DIRECTORY/turn-credential`, never from the command line.
    static func webrtc(_ r: Fields, environment: [String: String]) throws -> ICEConfiguration {
        var ice = ICEConfiguration()
        ice.stun = try r.list(.webrtcStun).map { text in
            let url = text.hasPrefix("stun:") ? String(text.dropFirst(5)) : text
            guard let server = server(url, defaultPort: 3478) else {
                throw ConfigurationError(key: "webrtc.stun", value: text, reason: "expected host:port (or stun:host:port)")
            }
            return server
        }
        ice.interfaces = r.list(.webrtcInterfaces)
        ice.gatherTimeoutMilliseconds = try r.int(.webrtcGatherTimeoutMS, ice.gatherTimeoutMilliseconds, in: 100...30_000)
        ice.iceTCP = try r.bool(.webrtcICETCP, false)
        switch r.string(.webrtcICETransportPolicy) {
        case nil, "all": ice.relayOnly = false
        case "relay": ice.relayOnly = true
        case let other?: throw ConfigurationError(key: "webrtc.ice-transport-policy", value: other, reason: "expected all or relay")
        }
        let urls = r.list(.webrtcTurn)
        guard !urls.isEmpty else {
            if ice.relayOnly {
                throw ConfigurationError(key: "webrtc.ice-transport-policy", value: "relay", reason: "relay needs at least one webrtc.turn server")
            }
            return ice
        }
        guard let username = r.string(.webrtcTurnUsername), !username.isEmpty else {
            throw ConfigurationError(key: "webrtc.turn-username", value: nil, reason: "TURN relays need a username")
        }
        var credential: String?
        if let directory = environment["CREDENTIALS_DIRECTORY"], let data = try readSmallFile(directory + "/turn-credential", key: "CREDENTIALS_DIRECTORY") {
            credential = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if credential == nil, let file = r.string(.webrtcTurnCredentialFile) {
            guard let data = try readSmallFile(file, key: "webrtc.turn-credential-file") else {
                throw ConfigurationError(key: "webrtc.turn-credential-file", value: file, reason: "cannot be read")
            }
            credential = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let credential, !credential.isEmpty else {
            throw ConfigurationError(key: "webrtc.turn-credential-file", value: nil,
                                     reason: "TURN relays need a credential: a file named by webrtc.turn-credential-file or $CREDENTIALS_DIRECTORY/turn-credential")
        }
        ice.relays = try urls.map { text in
            let reason = "expected turn:host[:port][?transport=udp|tcp] or turns:host[:port]"
            var rest = Substring(text)
            let secure: Bool
            if rest.hasPrefix("turns:") { secure = true; rest = rest.dropFirst(6) } else if rest.hasPrefix("turn:") { secure = false; rest = rest.dropFirst(5) } else {
                throw ConfigurationError(key: "webrtc.turn", value: text, reason: reason)
            }
            var transport: ICEConfiguration.RelayTransport = secure ? .tls : .udp
            if let query = rest.firstIndex(of: "?") {
                switch rest[rest.index(after: query)...] {
                case "transport=udp" where !secure: transport = .udp
                case "transport=tcp": transport = secure ? .tls : .tcp
                default: throw ConfigurationError(key: "webrtc.turn", value: text, reason: reason)
                }
                rest = rest[..<query]
            }
            guard let server = server(String(rest), defaultPort: secure ? 5349 : 3478) else {
                throw ConfigurationError(key: "webrtc.turn", value: text, reason: reason)
            }
            return ICEConfiguration.Relay(server: server, transport: transport, username: username, credential: credential)
        }
        return ice
    }

    /// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
    static func server(_ text: String, defaultPort: UInt16) -> ICEConfiguration.Server? {
        var host = Substring(text.trimmingCharacters(in: .whitespaces))
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = UInt16(after.dropFirst()), value != 0 else { return nil }
                port = value
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let value = UInt16(host[host.index(after: colon)...]), value != 0 else { return nil }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:".contains($0) }) else { return nil }
        return .init(host: String(host), port: port)
    }

    /// `media.codecs`: known names, each once, at least one.
    static func codecs(_ names: [String]) throws -> [AudioCodec] {
        let known = AudioCodec.allCases.map(\.rawValue).joined(separator: ", ")
        let given = names.joined(separator: ",")
        var codecs: [AudioCodec] = []
        for name in names {
            guard let codec = AudioCodec(configurationName: name) else {
                throw ConfigurationError(key: "media.codecs", value: given, reason: "unknown codec '\(name)'; expected some of \(known)")
            }
            guard !codecs.contains(codec) else {
                throw ConfigurationError(key: "media.codecs", value: given, reason: "'\(name)' is listed twice")
            }
            codecs.append(codec)
        }
        guard !codecs.isEmpty else {
            throw ConfigurationError(key: "media.codecs", value: given, reason: "names no codec; expected one or more of \(known)")
        }
        return codecs
    }

    static func staticCall(remote: String, suite: SRTPSuite, _ r: Fields) throws -> DaemonConfiguration.StaticCall {
        let address: SocketAddress
        do { address = try SocketAddress(remote) } catch {
            throw ConfigurationError(key: "call.remote", value: remote, reason: error.description)
        }
        func key(_ name: ConfigurationKey, fileKey: ConfigurationKey) throws -> SRTPMasterKey? {
            var text = r.string(name, secret: true)
            if text == nil, let file = r.string(fileKey) {
                guard let data = try readSmallFile(file, key: fileKey.rawValue) else {
                    throw ConfigurationError(key: fileKey.rawValue, value: file, reason: "cannot be read")
                }
                text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let text else { return nil }
            do { return try SRTPMasterKey(suite: suite, inline: text) } catch {
                // The key is secret: name it, never show it.
                throw ConfigurationError(key: name.rawValue, value: nil, reason: error.description)
            }
        }
        guard let local = try key(.callSRTPKey, fileKey: .callSRTPKeyFile) else {
            throw ConfigurationError(key: "call.srtp-key", value: nil, reason: "a static call needs an SRTP key (inline:<base64>) or call.srtp-key-file")
        }
        return .init(remote: address, key: local, remoteKey: try key(.callSRTPRemoteKey, fileKey: .callSRTPRemoteKeyFile),
                     sessionID: r.string(.callSessionID))
    }

    /// Secrets and keys are a few dozen bytes: a path to a device, a pipe or a huge file
    /// (`/dev/zero`, `/dev/stdin`) is refused instead of read forever.
    static let largestSecretFile = 64 * 1024

    /// The contents of a regular file of at most `largestSecretFile` bytes; nil when it
    /// cannot be read.
    /// - Throws: `ConfigurationError` naming `key` when it is not a regular file or too large.
    static func readSmallFile(_ path: String, key: String) throws(ConfigurationError) -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard isRegularFile(path) else {
            throw ConfigurationError(key: key, value: path, reason: "is not a regular file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: largestSecretFile + 1) else { return Data() }
        guard data.count <= largestSecretFile else {
            throw ConfigurationError(key: key, value: path, reason: "is larger than \(largestSecretFile) bytes; it should hold one key or secret")
        }
        return data
    }

    /// Whether `path` is, or links to, a regular file.
    static func isRegularFile(_ path: String) -> Bool {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return (try? FileManager.default.attributesOfItem(atPath: target))?[.type] as? FileAttributeType == .typeRegular
    }

    /// Typed access to text values with uniform errors; only the keys of `ConfigurationKey`
    /// can be read.
    struct Fields {
        let reader: ConfigReader

        func string(_ key: ConfigurationKey, secret: Bool = false) -> String? {
            reader.string(forKey: ConfigKey(key.rawValue), isSecret: secret)
        }

        func stringArray(_ key: ConfigurationKey) -> [String]? {
            reader.stringArray(forKey: ConfigKey(key.rawValue))
        }

        /// A YAML list, or a comma-separated string (how an environment variable gives one).
        func list(_ key: ConfigurationKey) -> [String] {
            let items = stringArray(key) ?? string(key).map { $0.split(separator: ",").map(String.init) } ?? []
            return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func int(_ key: ConfigurationKey, _ fallback: Int, in range: ClosedRange<Int>) throws -> Int {
            guard let text = string(key) else { return fallback }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(key: key.rawValue, value: text, reason: "expected a whole number")
            }
            guard range.contains(value) else {
                throw ConfigurationError(key: key.rawValue, value: text, reason: "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }

        func bool(_ key: ConfigurationKey, _ fallback: Bool) throws -> Bool {
            guard let text = string(key) else { return fallback }
            switch text.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw ConfigurationError(key: key.rawValue, value: text, reason: "expected true or false")
            }
        }

        func choice<T: RawRepresentable & CaseIterable>(_ key: ConfigurationKey, _ fallback: T) throws -> T where T.RawValue == String {
            guard let text = string(key) else { return fallback }
            guard let value = T(rawValue: text) else {
                throw ConfigurationError(key: key.rawValue, value: text, reason: "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }

        func url(_ key: ConfigurationKey) throws -> String? {
            guard let text = string(key) else { return nil }
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ConfigurationError(key: key.rawValue, value: text, reason: "expected an http or https URL")
            }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }

        func parse<T, E: Error & CustomStringConvertible>(_ key: ConfigurationKey, _ fallback: T, _ body: (String) throws(E) -> T) throws -> T {
            guard let text = string(key) else { return fallback }
            do { return try body(text) } catch {
                throw ConfigurationError(key: key.rawValue, value: text, reason: error.description)
            }
        }
    }
}
