/// What the peer's SDP says about its ICE agent and DTLS endpoint, read from the audio m-line
/// with the session level as the fallback (media level wins for ICE credentials,
/// fingerprints and setup, as Janus writes them at session level and Chrome at media level).
public struct WebRTCRemoteParameters: Sendable, Equatable {
    public var iceUfrag: String
    public var icePassword: String
    /// `a=ice-lite`: the peer only answers checks, so softphoned must control (RFC 8445 §6.1.1).
    public var iceLite: Bool
    /// Every `a=fingerprint` with a hash function softphoned checks with
    /// (`CertificateFingerprint.digestLengths`); the peer's certificate must match one.
    public var fingerprints: [CertificateFingerprint]
    public var setup: DTLSSetup
    /// The candidates for libnice, each `a=candidate:…`. Skipped: `.local` (mDNS) hosts,
    /// which libnice cannot resolve; component 2, because rtcp-mux is required so the stream
    /// has one component; lines not of the RFC 8839 §5.1 form. TCP candidates are kept.
    public var candidates: [String]
    /// `a=end-of-candidates`: the peer has gathered everything (vanilla ICE or trickle's end).
    public var endOfCandidates: Bool
    public var mid: String?

    public init(iceUfrag: String, icePassword: String, iceLite: Bool, fingerprints: [CertificateFingerprint],
                setup: DTLSSetup, candidates: [String], endOfCandidates: Bool, mid: String?) {
        self.iceUfrag = iceUfrag
        self.icePassword = icePassword
        self.iceLite = iceLite
        self.fingerprints = fingerprints
        self.setup = setup
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
        self.mid = mid
    }

    /// Reads the peer's parameters for one audio m-line.
    /// - Parameter defaultSetup: what a missing `a=setup` means (RFC 4145 §4: `active` in an
    ///   offer, `passive` in an answer).
    /// - Throws: `SDPError` for missing or malformed credentials, fingerprints or setup.
    init(_ media: MediaDescription, in session: SessionDescription, defaultSetup: DTLSSetup) throws(SDPError) {
        func values(_ name: String) -> [String] {
            let own = media.values(of: name)
            return own.isEmpty ? session.attributes.values(of: name) : own
        }
        iceUfrag = try Self.credential(values("ice-ufrag").first, name: "ice-ufrag", lengths: 4...256)
        icePassword = try Self.credential(values("ice-pwd").first, name: "ice-pwd", lengths: 22...256)
        iceLite = media.has("ice-lite") || session.attributes.contains { $0.name.lowercased() == "ice-lite" }
        fingerprints = try CertificateFingerprint.parse(values("fingerprint"))
        if let written = values("setup").first {
            guard let setup = DTLSSetup(rawValue: written.lowercased()) else { throw SDPError(.badSetup(written)) }
            self.setup = setup
        } else {
            setup = defaultSetup
        }
        candidates = values("candidate").compactMap(Self.usableCandidate)
        endOfCandidates = media.has("end-of-candidates") || session.attributes.contains { $0.name.lowercased() == "end-of-candidates" }
        mid = media.values(of: "mid").first
    }

    /// RFC 8839 §5.4: `ice-char = ALPHA / DIGIT / "+" / "/"`, within the given lengths.
    private static func credential(_ value: String?, name: String, lengths: ClosedRange<Int>) throws(SDPError) -> String {
        guard let value else { throw SDPError(.noICECredential(name)) }
        guard value.utf8.allSatisfy(isICEChar), lengths.contains(value.utf8.count) else {
            throw SDPError(.badICECredential(name: name, value: value, lengths: lengths))
        }
        return value
    }

    /// `<foundation> <component> <transport> <priority> <address> <port> typ <type> …` with
    /// component 1 and a host libnice can use, as `a=candidate:…`; nil otherwise. The
    /// foundation is 1–32 ice-chars and the priority 1–10 digits (RFC 8839 §5.1): a line
    /// whose first field began with a combining mark would otherwise be written back with
    /// `:` and the mark as one Character.
    private static func usableCandidate(_ value: String) -> String? {
        let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 8, (1...32).contains(fields[0].utf8.count), fields[0].utf8.allSatisfy(isICEChar),
              fields[1] == "1", (1...10).contains(fields[3].utf8.count), fields[3].utf8.allSatisfy(isDigit),
              UInt16(fields[5]) != nil, fields[6].lowercased() == "typ",
              !fields[4].lowercased().hasSuffix(".local") else { return nil }
        return "a=candidate:" + fields.joined(separator: " ")
    }

    /// RFC 8839 §5.4: `ALPHA / DIGIT / "+" / "/"`.
    private static func isICEChar(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
