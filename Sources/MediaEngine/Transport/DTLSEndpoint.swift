import COpenSSL
import Foundation
import MediaCore

/// One call's DTLS 1.2 association for DTLS-SRTP (RFC 5764), on OpenSSL 3.0.
///
/// Thread confinement: every method runs on the call's ICE thread (libnice's receive
/// callback and the retransmission timer), which is the only thread that touches the `SSL`.
/// Records leave through `output`, one datagram per write (a custom write BIO: a memory
/// BIO would glue flights together); they are held until the ICE pair is ready, so a flight
/// answering an early ClientHello is not lost to a second's retransmission.
final class DTLSEndpoint {
    enum State: String, Sendable { case new, connecting, connected, failed, closed }

    /// What the handshake agreed: the SRTP suite and both directions' master keys.
    struct Keys: Sendable {
        let suite: SRTPSuite
        let sendKey: SRTPMasterKey
        let receiveKey: SRTPMasterKey
    }

    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let output: (UnsafeRawBufferPointer) -> Void
    /// The peer's `a=fingerprint` lines: its certificate must match one before keys are used.
    /// Set from the answer when we offered (a ClientHello may arrive before it).
    var expectedFingerprints: [(hashFunction: String, value: String)]
    private var held: [[UInt8]] = []
    private var transportReady = false
    private(set) var isClient: Bool
    private(set) var state = State.new
    /// Set on a failure or close: why, for the log and `status`.
    private(set) var failure: String?
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)

    /// - Parameters:
    ///   - client: our role; a server waits in accept state, so a ClientHello may come
    ///     before the answer (RFC 5763 §5) and still be served.
    ///   - output: sends one datagram to the peer (on the ICE thread).
    init(certificate: DTLSCertificate, client: Bool, expectedFingerprints: [(hashFunction: String, value: String)],
         output: @escaping (UnsafeRawBufferPointer) -> Void) throws(DTLSError) {
        guard let context = SSL_CTX_new(DTLS_method()) else { throw DTLSError("SSL_CTX_new") }
        // WebRTC needs both sides to present a certificate: VERIFY_PEER makes the server ask
        // for the client's. Any self-signed one passes here; the fingerprint is the real check.
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { _, _ in 1 }
        let configured = SSL_CTX_use_certificate(context, certificate.certificate) == 1
            && SSL_CTX_use_PrivateKey(context, certificate.key) == 1
            && softphoned_SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION) == 1
            // Returns 0 on success (the inverted convention of this call).
            && SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32") == 0
        guard configured else {
            SSL_CTX_free(context)
            throw DTLSError("cannot configure the DTLS context")
        }
        SSL_CTX_set_options(context, softphoned_dtls_options())
        _ = softphoned_SSL_CTX_set_read_ahead(context, 1)
        _ = softphoned_SSL_CTX_set1_groups_list(context, "X25519:P-256")
        guard let ssl = SSL_new(context), let readBIO = BIO_new(BIO_s_mem()),
              let writeBIO = BIO_new(DTLSEndpoint.writeMethod) else {
            SSL_CTX_free(context)
            throw DTLSError("cannot create the DTLS session")
        }
        // An empty read BIO means "wait for more", not end of file.
        _ = softphoned_BIO_set_mem_eof_return(readBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)
        _ = softphoned_SSL_set_mtu(ssl, 1200)
        DTLS_set_timer_cb(ssl) { _, previous in
            // OpenSSL starts at 1 s; on a LAN a lost flight is better resent after 100 ms.
            previous == 0 ? 100_000 : min(previous * 2, 3_000_000)
        }
        self.context = context
        self.ssl = ssl
        self.readBIO = readBIO
        self.output = output
        self.expectedFingerprints = expectedFingerprints
        isClient = client
        BIO_set_data(writeBIO, Unmanaged.passUnretained(self).toOpaque())
        if client { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
        scratch.deallocate()
    }

    /// Takes the client role after all (we offered `actpass` and the answer says `passive`).
    /// - Returns: false when the peer has already started a handshake as client.
    func becomeClient() -> Bool {
        guard !isClient else { return true }
        guard state == .new else { return false }
        isClient = true
        SSL_set_connect_state(ssl)
        return true
    }

    /// The ICE pair is ready: held records go out, and a client sends its ClientHello.
    func transportIsReady() {
        guard !transportReady else { return }
        transportReady = true
        for datagram in held { datagram.withUnsafeBytes(output) }
        held.removeAll()
        if isClient && state == .new { advance() }
    }

    /// One DTLS record from the peer (first byte 20–63, RFC 7983).
    /// - Returns: the keys when this record completed the handshake.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Keys? {
        guard state == .new || state == .connecting || state == .connected, let base = bytes.baseAddress else { return nil }
        _ = BIO_write(readBIO, base, Int32(bytes.count))
        if state == .connected {
            drainApplicationData()
            return nil
        }
        return advance()
    }

    /// Resends a lost flight when OpenSSL's timer has run out; call every few tens of ms.
    func tick() {
        guard state == .new || state == .connecting else { return }
        if softphoned_DTLS_timer_expired(ssl) == 1 {
            if softphoned_DTLSv1_handle_timeout(ssl) < 0 { fail("the handshake's retransmission failed") }
        }
    }

    /// Sends close_notify (hangup), once.
    func close() {
        guard state == .connected || state == .connecting else {
            state = .closed
            return
        }
        _ = SSL_shutdown(ssl)
        state = .closed
    }

    /// Gives up (no handshake within the time allowed, or ICE failed).
    func fail(_ reason: String) {
        guard state != .failed && state != .closed else { return }
        state = .failed
        failure = reason
    }

    /// The SRTP profiles offered (RFC 5764 §4.1.2, RFC 7714 §14.2): OpenSSL's id, softphoned's
    /// suite, and the RFC name browsers report (OpenSSL's own names drop the `HMAC_`).
    static let profiles: [UInt: (suite: SRTPSuite, name: String)] = [
        1: (.aesCM128HMACSHA1_80, "SRTP_AES128_CM_HMAC_SHA1_80"),
        2: (.aesCM128HMACSHA1_32, "SRTP_AES128_CM_HMAC_SHA1_32"),
        7: (.aeadAES128GCM, "SRTP_AEAD_AES_128_GCM"),
        8: (.aeadAES256GCM, "SRTP_AEAD_AES_256_GCM"),
    ]

    /// The negotiated SRTP profile's RFC name, once connected.
    var profileName: String? {
        guard state == .connected || state == .closed, let profile = SSL_get_selected_srtp_profile(ssl) else { return nil }
        return Self.profiles[UInt(profile.pointee.id)]?.name ?? String(cString: profile.pointee.name)
    }

    // MARK: - Handshake

    @discardableResult
    private func advance() -> Keys? {
        state = .connecting
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            return finishHandshake()
        }
        let error = SSL_get_error(ssl, result)
        if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
            fail(DTLSError("the DTLS handshake failed").description)
        }
        return nil
    }

    /// Checks the peer's certificate against its `a=fingerprint`, then exports the keys.
    private func finishHandshake() -> Keys? {
        guard let peer = SSL_get1_peer_certificate(ssl) else {
            fail("the peer presented no certificate")
            return nil
        }
        defer { X509_free(peer) }
        let matches = expectedFingerprints.contains { expected in
            DTLSCertificate.digest(of: peer, hashFunction: expected.hashFunction)?
                .caseInsensitiveCompare(expected.value) == .orderedSame
        }
        guard matches else {
            let offered = expectedFingerprints.map { "\($0.hashFunction) \($0.value)" }.joined(separator: ", ")
            fail("the peer's certificate does not match its a=fingerprint (\(offered)); no key was used")
            _ = SSL_shutdown(ssl)
            return nil
        }
        guard let keys = exportKeys() else { return nil }
        state = .connected
        return keys
    }

    /// RFC 5764 §4.2: client key | server key | client salt | server salt.
    private func exportKeys() -> Keys? {
        guard let profile = SSL_get_selected_srtp_profile(ssl) else {
            fail("the peer negotiated no SRTP profile (use_srtp)")
            return nil
        }
        guard let suite = Self.profiles[UInt(profile.pointee.id)]?.suite else {
            fail("the peer chose SRTP profile \(profile.pointee.id), which softphoned does not offer")
            return nil
        }
        let k = suite.keyLength, s = suite.saltLength
        var material = [UInt8](repeating: 0, count: 2 * (k + s))
        let label = "EXTRACTOR-dtls_srtp"
        guard SSL_export_keying_material(ssl, &material, material.count, label, label.utf8.count, nil, 0, 0) == 1 else {
            fail(DTLSError("SSL_export_keying_material").description)
            return nil
        }
        let client = Array(material[0..<k] + material[(2 * k)..<(2 * k + s)])
        let server = Array(material[k..<(2 * k)] + material[(2 * k + s)..<(2 * k + 2 * s)])
        guard let clientKey = try? SRTPMasterKey(suite: suite, material: client),
              let serverKey = try? SRTPMasterKey(suite: suite, material: server) else {
            fail("the exported SRTP keys have the wrong length")
            return nil
        }
        return isClient ? Keys(suite: suite, sendKey: clientKey, receiveKey: serverKey)
                        : Keys(suite: suite, sendKey: serverKey, receiveKey: clientKey)
    }

    /// After the handshake only alerts are expected: close_notify ends the association.
    private func drainApplicationData() {
        while true {
            let n = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
            if n > 0 { continue }
            let error = SSL_get_error(ssl, n)
            if error == SSL_ERROR_ZERO_RETURN {
                state = .closed
                failure = "the peer closed the DTLS association (close_notify)"
            } else if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                fail(DTLSError("DTLS read failed").description)
            }
            return
        }
    }

    // MARK: - The write BIO

    fileprivate func emit(_ datagram: UnsafeRawBufferPointer) {
        if transportReady { output(datagram) } else { held.append(Array(datagram)) }
    }

    /// A source/sink BIO whose every write is one datagram handed to `emit`.
    nonisolated(unsafe) private static let writeMethod: OpaquePointer = {
        let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "softphoned-ice")!
        _ = BIO_meth_set_write(method) { bio, data, length in
            guard let bio, let data, length > 0, let endpoint = BIO_get_data(bio) else { return -1 }
            Unmanaged<DTLSEndpoint>.fromOpaque(endpoint).takeUnretainedValue()
                .emit(UnsafeRawBufferPointer(start: data, count: Int(length)))
            return length
        }
        _ = BIO_meth_set_ctrl(method) { _, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH: 1
            case BIO_CTRL_DGRAM_QUERY_MTU, BIO_CTRL_DGRAM_GET_FALLBACK_MTU: 1200
            default: 0
            }
        }
        _ = BIO_meth_set_create(method) { bio in
            BIO_set_init(bio, 1)
            return 1
        }
        return method
    }()
}
