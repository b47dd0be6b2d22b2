/// The phone line's settings (`sip.*`, SPEC §5c), validated by the daemon's loader.
public struct SIPSettings: Sendable, Equatable {
    /// Our address of record; empty: no registration, calls straight to the listening address only.
    public var aor: String
    /// Digest user name; empty: the AOR's user part.
    public var authUser: String
    /// Digest password (from `sip.password-file` or the service's credentials); never logged.
    public var password: String?
    /// Where REGISTER goes; empty: the AOR's domain.
    public var registrar: String
    public var outboundProxy: String
    public var listen: [SIPListenAddress]
    public var expires: Int
    public var keepaliveSeconds: Int
    public var tlsCAFile: String
    public var tlsVerify: Bool
    public var mediaEncryption: SIPMediaEncryption
    public var dtmf: SIPDTMFMode
    public var autoAnswer: AutoAnswerPolicy
    /// The INVITE header that carries the platform's conversation id; empty: none.
    public var conversationHeader: String
    /// Where a directory of TLS files the stack reads (its CA file) may be made.
    public var runtimeDirectory: String

    public init(aor: String = "", authUser: String = "", password: String? = nil, registrar: String = "", outboundProxy: String = "",
                listen: [SIPListenAddress] = [.init(transport: .udp), .init(transport: .tcp), .init(transport: .tls)],
                expires: Int = 300, keepaliveSeconds: Int = 30, tlsCAFile: String = "", tlsVerify: Bool = true,
                mediaEncryption: SIPMediaEncryption = .srtp, dtmf: SIPDTMFMode = .rfc4733, autoAnswer: AutoAnswerPolicy = .off,
                conversationHeader: String = "", runtimeDirectory: String = "/tmp") {
        self.aor = aor
        self.authUser = authUser
        self.password = password
        self.registrar = registrar
        self.outboundProxy = outboundProxy
        self.listen = listen
        self.expires = expires
        self.keepaliveSeconds = keepaliveSeconds
        self.tlsCAFile = tlsCAFile
        self.tlsVerify = tlsVerify
        self.mediaEncryption = mediaEncryption
        self.dtmf = dtmf
        self.autoAnswer = autoAnswer
        self.conversationHeader = conversationHeader
        self.runtimeDirectory = runtimeDirectory
    }

    /// The AOR's parts: scheme (`sip`/`sips`), user, domain (host[:port]).
    public var addressOfRecord: (scheme: String, user: String, domain: String)? { SIPURI.parts(aor) }

    /// Where REGISTER goes, as a URI.
    public var registrarURI: String {
        if !registrar.isEmpty { return registrar.hasPrefix("sip:") || registrar.hasPrefix("sips:") ? registrar : "sip:\(registrar)" }
        guard let aor = addressOfRecord else { return "" }
        return "\(aor.scheme):\(aor.domain)"
    }

    /// Where requests outside a dialog go first: `outbound-proxy`, else a registrar named
    /// explicitly (a PBX or Edge registers and routes its phones' calls), else nil (the
    /// request URI's domain, by DNS).
    public var effectiveOutboundProxy: String? {
        if !outboundProxy.isEmpty { return outboundProxy }
        return registrar.isEmpty ? nil : registrarURI
    }

    /// Whether the registrar or outbound proxy is reached over TLS (`sips:` or `;transport=tls`).
    public var usesTLS: Bool {
        [registrarURI, effectiveOutboundProxy ?? ""].contains { uri in
            uri.lowercased().hasPrefix("sips:") || uri.lowercased().contains("transport=tls")
        }
    }

    /// The digest user.
    public var digestUser: String { authUser.isEmpty ? addressOfRecord?.user ?? "" : authUser }
}

/// A transport to listen on, with a pinned host and port when given (`udp`, `tls:5061`, `udp:127.0.0.1:5060`).
public struct SIPListenAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: String, Sendable, CaseIterable { case udp, tcp, tls }
    public var transport: Transport
    public var host: String?
    public var port: UInt16?

    public init(transport: Transport, host: String? = nil, port: UInt16? = nil) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    /// Parses `udp`, `udp:5060`, `udp:127.0.0.1:5060`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let transport = Transport(rawValue: parts[0].lowercased()) else { return nil }
        self.transport = transport
        guard parts.count == 2 else { return }
        let rest = parts[1]
        if let port = UInt16(rest) {
            self.port = port
            return
        }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else { return nil }
        let host = String(rest[..<colon])
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String {
        var text = transport.rawValue
        if let host { text += ":\(host)" }
        if let port { text += ":\(port)" }
        return text
    }
}

public enum SIPMediaEncryption: String, Sendable, CaseIterable { case srtp, srtpOptional = "srtp-optional", none }
public enum SIPDTMFMode: String, Sendable, CaseIterable { case rfc4733, info }
public enum AutoAnswerPolicy: String, Sendable, CaseIterable { case off, header, always }

/// The few things softphoned reads from a SIP URI.
enum SIPURI {
    /// `sip:user@host:port;params` → (`sip`, `user`, `host:port`); nil when not a sip/sips URI with a host.
    static func parts(_ uri: String) -> (scheme: String, user: String, domain: String)? {
        let lower = uri.lowercased()
        let scheme: String
        if lower.hasPrefix("sips:") { scheme = "sips" } else if lower.hasPrefix("sip:") { scheme = "sip" } else { return nil }
        var rest = Substring(uri.dropFirst(scheme.count + 1))
        if let end = rest.firstIndex(where: { $0 == ";" || $0 == "?" || $0 == ">" }) { rest = rest[..<end] }
        var user = ""
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        guard !rest.isEmpty, rest.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]_".contains($0) }) else { return nil }
        return (scheme, user, String(rest))
    }
}

extension SIPSettings {
    /// The host[:port] of a `sip:`/`sips:` URI or of a bare `host[:port]`; nil when it names none.
    public static func host(_ text: String) -> String? {
        if let parts = SIPURI.parts(text) { return parts.domain }
        return SIPURI.parts("sip:" + text)?.domain
    }
}
