import COpenSSL
import Foundation

/// A DTLS-SRTP failure: what OpenSSL refused, with its error queue as text.
public struct DTLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ what: String) {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        description = reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))"
    }
}

/// softphoned's DTLS identity: an ECDSA P-256 key and a self-signed certificate, made once
/// per daemon run (RFC 8827 §6.5: DTLS 1.2 with ECDSA P-256 is what every WebRTC peer takes).
///
/// Peers trust it only through the `a=fingerprint` our SDP carries, so nothing is persisted.
public final class DTLSCertificate: @unchecked Sendable {
    /// `EVP_PKEY*` and `X509*`, immutable once made (OpenSSL's objects are safe to share read-only).
    let key: OpaquePointer
    let certificate: OpaquePointer
    /// `sha-256` and the certificate's digest as upper-case hex pairs joined by `:`.
    public let fingerprint: (hashFunction: String, value: String)

    /// The one per process, made on first use.
    public static let shared: Result<DTLSCertificate, DTLSError> = {
        do throws(DTLSError) { return .success(try DTLSCertificate()) } catch { return .failure(error) }
    }()

    public init() throws(DTLSError) {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw DTLSError("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_generate(context, &generated) == 1, let key = generated else {
            throw DTLSError("cannot generate an ECDSA P-256 key")
        }
        guard let x509 = X509_new() else {
            EVP_PKEY_free(key)
            throw DTLSError("X509_new")
        }
        let name = X509_get_subject_name(x509)
        let signed = X509_set_version(x509, 2) == 1
            && ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), UInt64.random(in: 1...(UInt64(1) << 62))) == 1
            && X509_gmtime_adj(X509_getm_notBefore(x509), -86_400) != nil
            && X509_gmtime_adj(X509_getm_notAfter(x509), 30 * 86_400) != nil
            && X509_set_pubkey(x509, key) == 1
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "softphoned", -1, -1, 0) == 1
            && X509_set_issuer_name(x509, name) == 1
            && X509_sign(x509, key, EVP_sha256()) > 0
        guard signed, let digest = DTLSCertificate.digest(of: x509, hashFunction: "sha-256") else {
            X509_free(x509)
            EVP_PKEY_free(key)
            throw DTLSError("cannot make the self-signed certificate")
        }
        self.key = key
        certificate = x509
        fingerprint = ("sha-256", digest)
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// A certificate's digest in SDP's form (RFC 8122 §5: upper-case hex pairs joined by `:`).
    /// - Parameter hashFunction: the SDP name (`sha-1`, `sha-256`, `sha-384`, `sha-512`, …).
    /// - Returns: nil when OpenSSL knows no such hash.
    static func digest(of x509: OpaquePointer, hashFunction: String) -> String? {
        let openSSLName = hashFunction.replacingOccurrences(of: "-", with: "").uppercased()
        guard let md = EVP_get_digestbyname(openSSLName) else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(x509, md, &bytes, &length) == 1 else { return nil }
        return bytes.prefix(Int(length)).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
