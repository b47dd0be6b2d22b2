import ControlProtocol

/// What the daemon implements to answer control requests.
///
/// The server has already validated the JSON-RPC envelope, checked the peer's credentials,
/// rejected unknown method names and answered `subscribe` itself; the handler sees every
/// other method of ``ControlProtocol/ControlMethod``. Requests of one connection are handed
/// over one at a time, in order; different connections run concurrently.
public protocol ControlRequestHandler: Sendable {
    /// Answers one request.
    ///
    /// - Parameters:
    ///   - method: The method name (e.g. `mute`, `call.start`).
    ///   - params: The request's `params`, if any (decode with `ControlParams.decode`).
    ///   - peer: The credentials of the connection the request came in on.
    /// - Returns: The JSON-RPC `result`.
    /// - Throws: The JSON-RPC error to send back.
    func handle(method: String, params: JSONValue?, peer: PeerCredentials) async throws(ControlError) -> JSONValue
}
