/// The `a=setup` attribute of a DTLS-SRTP media line (RFC 4145 §4, RFC 5763 §5, RFC 8842 §5):
/// which side opens the DTLS association.
public enum DTLSSetup: String, Sendable, CaseIterable {
    /// Either: what an offerer writes (RFC 5763 §5), never an answerer.
    case actpass
    /// The writer connects: it is the DTLS client.
    case active
    /// The writer waits: it is the DTLS server.
    case passive
    /// No connection for now; softphoned refuses it (RFC 8842 §5.1 deprecates it for DTLS).
    case holdconn
}

/// Which side of the DTLS handshake softphoned takes.
public enum DTLSRole: String, Sendable, CaseIterable {
    /// Sends the ClientHello once ICE has a pair (`SSL_set_connect_state`).
    case client
    /// Answers the peer's ClientHello (`SSL_set_accept_state`).
    case server

    /// The `a=setup` that states this role in an answer or a re-offer: the client is `active`.
    public var setup: DTLSSetup { self == .client ? .active : .passive }

    /// The other side's role.
    public var peer: DTLSRole { self == .client ? .server : .client }
}
