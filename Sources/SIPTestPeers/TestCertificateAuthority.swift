import DaemonTestSupport
import Foundation
import MediaTestSupport

/// A private CA and a server certificate signed by it, made with `openssl req` (EC P-256, two
/// days). The server certificate names `IP:127.0.0.1` and `DNS:localhost` (and `DNS:127.0.0.1`
/// for mbedTLS), so a user agent that verifies against `caFile` accepts it under either name.
public struct TestCertificateAuthority: Sendable {
    /// The CA certificate (PEM): what a verifying client is given.
    public let caFile: URL
    /// The server's certificate (PEM), signed by the CA.
    public let certificateFile: URL
    /// The server's private key (PEM, unencrypted).
    public let privateKeyFile: URL

    /// The server certificate's names by default.
    public static let defaultNames = "IP:127.0.0.1,DNS:localhost,DNS:127.0.0.1"

    /// Makes both in `directory` (files `ca.pem`, `ca.key`, `server.pem`, `server.key`);
    /// `names` is the server certificate's subjectAltName (a certificate for another host:
    /// `DNS:pbx.example.org`).
    public static func make(in directory: URL, names: String = defaultNames) async throws -> TestCertificateAuthority {
        let ca = directory.appendingPathComponent("ca.pem"), caKey = directory.appendingPathComponent("ca.key")
        let server = directory.appendingPathComponent("server.pem"), serverKey = directory.appendingPathComponent("server.key")
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
        let steps: [[String]] = [
            ["req", "-x509"] + curve + ["-keyout", caKey.path, "-out", ca.path, "-subj", "/CN=softphoned SIP test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["req", "-x509"] + curve + ["-keyout", serverKey.path, "-out", server.path,
             "-subj", names == defaultNames ? "/CN=localhost" : "/CN=softphoned SIP test server",
             "-CA", ca.path, "-CAkey", caKey.path,
             // DNS:127.0.0.1 as well: mbedTLS 2.28 (linphonec's TLS) matches the name it connected
             // to against DNS entries only, never against IP entries.
             "-addext", "subjectAltName=\(names)",
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
             "-addext", "extendedKeyUsage=serverAuth,clientAuth"],
        ]
        for arguments in steps {
            let result = try await ExternalProcess.output("openssl", arguments)
            guard result.succeeded else { throw SIPPeerError("making the test certificates failed: \(result)") }
        }
        return TestCertificateAuthority(caFile: ca, certificateFile: server, privateKeyFile: serverKey)
    }

    /// Connects to `port` with `openssl s_client`, verifying the server against `caFile` and
    /// the name (`127.0.0.1` checks the IP SAN, anything else the DNS SAN).
    /// - Returns: openssl's verdict line (`Verification: OK` on success) and whether it verified.
    public func verifyServer(port: UInt16, name: String = "127.0.0.1") async throws -> (verified: Bool, output: String) {
        let check = name.first?.isNumber == true ? ["-verify_ip", name] : ["-verify_hostname", name, "-servername", name]
        let result = try await ExternalProcess.output("openssl", [
            "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", caFile.path, "-verify_return_error", "-brief",
        ] + check, timeout: .seconds(10))
        let text = String(decoding: result.standardOutput, as: UTF8.self) + result.standardError
        return (result.succeeded && text.contains("Verification: OK"), text)
    }
}
