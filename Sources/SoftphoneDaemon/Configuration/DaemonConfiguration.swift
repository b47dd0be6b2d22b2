import CallControl
import Foundation
import MediaCore
import SIPPhone
import MediaEngine
import PlatformSync

/// softphoned's settings (SPEC §6), validated: every value here is usable as it is.
public struct DaemonConfiguration: Sendable {
    public var audioSource: AudioSourceSpec = .alsa(device: "default")
    public var audioPlayback: AudioSinkSpec = .alsa(device: "default")
    /// `audio.mixer`: the ALSA mixer whose capture switch is kept in step; `nil` derives it
    /// from `audio.source` (see `captureMixer`).
    public var audioMixer: String?
    /// `PULSE_SOURCE` from the environment: the source ALSA's `pulse` PCM captures from.
    public var pulseSource: String?
    public var opus = OpusSettings()
    /// `media.codecs`: the codecs offered and accepted, most preferred first.
    public var codecs: [AudioCodec] = [.opus, .pcmu, .pcma, .g722]
    public var muteMode: MuteMode = .silence
    public var muteInitial = false
    public var mutePersistAcrossCalls = false
    /// `mute.sync-device`: keep the capture switch and the mute state equal (SPEC §3 point 6).
    public var muteSyncDevice = true
    /// The static call started at launch (`call:`), if configured.
    public var call: StaticCall?
    /// `call.media-timeout`: seconds without media before a call ends (0 = never).
    public var mediaTimeoutSeconds: Double = 30
    /// `call.local-port` for negotiated calls too.
    public var localPort: UInt16 = 0
    /// `call.payload-type`.
    public var payloadType: UInt8 = 111
    /// `call.srtp-suite`: the suite offered first and used for static calls.
    public var srtpSuites: [SRTPSuite] = [.aesCM128HMACSHA1_80]
    /// `call.transport`: what `call.offer` writes without a `transport` parameter.
    public var callTransport: CallTransport = .sdes
    /// `webrtc.*`: ICE servers, interfaces and gathering for WebRTC calls.
    public var webrtc = ICEConfiguration()
    public var controlSocket: String?
    public var allowedUIDs: [UInt32] = []
    public var allowedGroup: String?
    public var api = APISettings()
    public var logLevel: LogLevel = .info
    /// The SIP user agent (`sip.*`); nil when `sip.enabled` is false.
    public var sip: SIPSettings?

    public init() {}

    /// The mixer to keep in step with, or `nil` when there is none or syncing is off.
    public var captureMixer: String? {
        guard muteSyncDevice else { return nil }
        return audioMixer ?? CaptureMixerName.derived(from: audioSource, pulseSource: pulseSource)
    }

    /// A call to a fixed peer with pre-shared SRTP keys (no SDP).
    public struct StaticCall: Sendable {
        public var remote: SocketAddress
        public var key: SRTPMasterKey
        /// The far end's key when it differs from ours (`call.srtp-remote-key`).
        public var remoteKey: SRTPMasterKey?
        public var sessionID: String?
    }

    /// The platform REST API (`api.*`).
    public struct APISettings: Sendable {
        /// `api.profile`: the platform sync module's own kind (one definition).
        public var profile: SignalingProfileKind = .none
        public var org: String?
        public var baseURL: String?
        public var tokenURL: String?
        public var clientID: String?
        /// Never logged; redacted in `dump()`.
        public var clientSecret: String?
        public var userID: String?
        public var scope = "session:write session:read"
        public var pollIntervalMilliseconds = 2_000
        public var verify = true
        /// `genesys`: `api.environment`, e.g. `mypurecloud.com`.
        public var environment: String?
        /// `genesys`: `api.login-url`, the OAuth host (default `https://login.{environment}`).
        public var loginURL: String?
        /// `api.grant` of the genesys profile: the platform sync module's own grant (one definition).
        public var grant: GenesysGrant = .userToken
        /// `genesys`, grant `user-token`: a file holding the token, re-read when it changes.
        public var tokenFile: String?
        /// `genesys`, grant `pkce`: where the refresh token is kept (default
        /// `$CREDENTIALS_DIRECTORY`, else `$XDG_STATE_HOME/softphoned`).
        public var stateDirectory: String?
        /// `genesys`, grant `pkce`: the loopback redirect's port (0: any free one).
        public var redirectPort = 0
        /// Internal timing of the notifications WebSocket (tests shorten them).
        public var socketSilenceMilliseconds = 45_000
        public var pongTimeoutMilliseconds = 10_000
        public var confirmationTimeoutMilliseconds = 5_000
        /// Retry backoff of the platform's requests (exponential with full jitter): the first
        /// delay's bound and the largest. Not read from the file; the demo shortens them.
        public var backoffBaseMilliseconds = 1_000
        public var backoffMaxMilliseconds = 30_000

        public init() {}

        /// `genesys`: `https://api.{environment}/api/v2` unless `api.base-url` is set.
        public var genesysBaseURL: String? { baseURL ?? environment.map { "https://api.\($0)/api/v2" } }
        /// `genesys`: `https://login.{environment}` unless `api.login-url` is set.
        public var genesysLoginURL: String? { loginURL ?? environment.map { "https://login.\($0)" } }

        /// `https://{org}.mygen.com/api/v2` unless `api.base-url` is set.
        public var effectiveBaseURL: String? { baseURL ?? org.map { "https://\($0).mygen.com/api/v2" } }
        /// `https://{org}.mygen.com/oauth/token` unless `api.token-url` is set.
        public var effectiveTokenURL: String? { tokenURL ?? org.map { "https://\($0).mygen.com/oauth/token" } }
    }

    /// SDES (`RTP/SAVP` with `a=crypto`) or WebRTC (ICE, DTLS-SRTP, `UDP/TLS/RTP/SAVPF`).
    /// The call core's own definition (one enum across modules).
    public typealias CallTransport = CallTransportKind

    /// What the call core reads of these settings.
    public var callSettings: CallSettings {
        var settings = CallSettings()
        settings.audioSource = audioSource
        settings.audioPlayback = audioPlayback
        settings.opus = opus
        settings.codecs = codecs
        settings.mediaTimeoutSeconds = mediaTimeoutSeconds
        settings.localPort = localPort
        settings.payloadType = payloadType
        settings.srtpSuites = srtpSuites
        settings.transport = callTransport
        settings.webrtc = webrtc
        return settings
    }

    /// `log.level`.
    public enum LogLevel: String, Sendable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    /// The effective configuration as YAML-like lines, secrets redacted (`--print-config`).
    public func dump() -> String {
        var lines: [String] = []
        func put(_ key: String, _ value: String?) { lines.append("\(key): \(value ?? "(unset)")") }
        put("audio.source", audioSource.description)
        put("audio.playback", audioPlayback.description)
        put("audio.mixer", audioMixer ?? CaptureMixerName.derived(from: audioSource, pulseSource: pulseSource).map { "\($0) (from audio.source)" })
        put("opus.bitrate", String(opus.bitrate))
        put("opus.complexity", String(opus.complexity))
        put("opus.fec", String(opus.fec))
        put("opus.dtx", String(opus.dtx))
        put("opus.expected-loss", String(opus.expectedLossPercent))
        put("media.codecs", codecs.map(\.rawValue).joined(separator: ","))
        put("mute.mode", muteMode.rawValue)
        put("mute.initial", String(muteInitial))
        put("mute.persist-across-calls", String(mutePersistAcrossCalls))
        put("mute.sync-device", String(muteSyncDevice))
        put("call.remote", call?.remote.description)
        put("call.srtp-key", call == nil ? nil : "<redacted>")
        put("call.local-port", String(localPort))
        put("call.payload-type", String(payloadType))
        put("call.srtp-suite", srtpSuites.map(\.rawValue).joined(separator: ","))
        put("call.media-timeout", String(mediaTimeoutSeconds))
        put("call.transport", callTransport.rawValue)
        put("webrtc.stun", webrtc.stun.map { "\($0.host):\($0.port)" }.joined(separator: ","))
        put("webrtc.turn", webrtc.relays.map { "\($0.transport == .tls ? "turns" : "turn"):\($0.server.host):\($0.server.port)?transport=\($0.transport == .tls ? "tcp" : $0.transport.rawValue)" }.joined(separator: ","))
        put("webrtc.turn-username", webrtc.relays.first?.username)
        put("webrtc.turn-credential", webrtc.relays.isEmpty ? nil : "<redacted>")
        put("webrtc.interfaces", webrtc.interfaces.joined(separator: ","))
        put("webrtc.gather-timeout-ms", String(webrtc.gatherTimeoutMilliseconds))
        put("webrtc.ice-tcp", String(webrtc.iceTCP))
        put("webrtc.ice-transport-policy", webrtc.relayOnly ? "relay" : "all")
        put("control.socket", controlSocket)
        put("control.allowed-uids", allowedUIDs.map(String.init).joined(separator: ","))
        put("control.allowed-group", allowedGroup)
        put("api.profile", api.profile.rawValue)
        put("api.org", api.org)
        put("api.base-url", api.effectiveBaseURL)
        put("api.token-url", api.effectiveTokenURL)
        put("api.client-id", api.clientID)
        put("api.client-secret", api.clientSecret == nil ? nil : "<redacted>")
        put("api.user-id", api.userID)
        put("api.scope", api.scope)
        put("api.poll-interval-ms", String(api.pollIntervalMilliseconds))
        put("api.verify", String(api.verify))
        put("api.environment", api.environment)
        put("api.login-url", api.genesysLoginURL)
        put("api.grant", api.grant.rawValue)
        put("api.token-file", api.tokenFile)
        put("api.state-directory", api.stateDirectory)
        put("sip.enabled", String(sip != nil))
        if let sip {
            put("sip.aor", sip.aor)
            put("sip.auth-user", sip.digestUser)
            put("sip.password", sip.password == nil ? nil : "<redacted>")
            put("sip.registrar", sip.registrarURI)
            put("sip.outbound-proxy", sip.outboundProxy)
            put("sip.listen", sip.listen.map(\.description).joined(separator: ","))
            put("sip.expires", String(sip.expires))
            put("sip.keepalive-s", String(sip.keepaliveSeconds))
            put("sip.tls-ca-file", sip.tlsCAFile.isEmpty ? "(the system's CA store)" : sip.tlsCAFile)
            put("sip.tls-verify", String(sip.tlsVerify))
            put("sip.media-encryption", sip.mediaEncryption.rawValue)
            put("sip.dtmf", sip.dtmf.rawValue)
            put("sip.auto-answer", sip.autoAnswer.rawValue)
            put("sip.conversation-header", sip.conversationHeader)
        }
        put("log.level", logLevel.rawValue)
        return lines.joined(separator: "\n")
    }
}

/// A configuration value that was refused: names the key, the value and why.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let value: String?
    public let reason: String

    public init(key: String, value: String?, reason: String) {
        self.key = key
        self.value = value
        self.reason = reason
    }

    public var description: String {
        if let value { return "invalid configuration: \(key) = \"\(value)\": \(reason)" }
        return "invalid configuration: \(key): \(reason)"
    }
}
