/// The outcome of a WebRTC offer/answer exchange, from softphoned's side: the codec
/// agreement, what the ICE agent and DTLS endpoint must be told about the peer, and the
/// roles both take.
///
/// Pass it back as `established` when the call is renegotiated: roles, ICE credentials and
/// the DTLS association then carry over (RFC 8842 §5.5, RFC 8445 §9).
public struct WebRTCNegotiation: Sendable, Equatable {
    public var media: NegotiatedAudio
    public var remote: WebRTCRemoteParameters
    /// Softphoned's DTLS role.
    public var role: DTLSRole
    /// RFC 8445 §6.1.1: softphoned controls when it offers or when the peer is `a=ice-lite`;
    /// a renegotiation without ICE restart keeps the role of the first exchange.
    public var iceControlling: Bool
    /// The audio m-line's mid: the offer's when answering, ours ("0") when offering; nil
    /// when a peer's offer has none (then the answer has no mid and no BUNDLE group).
    public var mid: String?
    /// The index of the offer's m-line that carries the audio (0 for softphoned's offers).
    public var audioIndex: Int
    /// The peer changed its ICE ufrag or password against `established`: restart ICE with
    /// the new credentials and candidates (RFC 8445 §9). Always false for a first exchange.
    public var iceRestart: Bool

    public init(media: NegotiatedAudio, remote: WebRTCRemoteParameters, role: DTLSRole, iceControlling: Bool,
                mid: String?, audioIndex: Int = 0, iceRestart: Bool = false) {
        self.media = media
        self.remote = remote
        self.role = role
        self.iceControlling = iceControlling
        self.mid = mid
        self.audioIndex = audioIndex
        self.iceRestart = iceRestart
    }
}
