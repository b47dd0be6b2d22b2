import DaemonTestSupport
import ControlProtocol
import Foundation
import Testing

@testable import ControlServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("ControlServer: peer credentials")
struct PeerCredentialTests {
    static let runningAsRoot = geteuid() == 0
    static let nobody: UInt32 = 65534

    /// Opens the socket's directory and file to everyone, so that only SO_PEERCRED decides.
    static func openUp(_ path: String) {
        chmod(SocketFile.parent(of: path), 0o755)
        chmod(SocketFile.parent(of: SocketFile.parent(of: path)), 0o755)
        chmod(path, 0o666)
    }

    /// Runs `softphonectl status` as uid/gid 65534 with no supplementary groups.
    static func statusAsNobody(_ path: String) async throws -> ExternalProcess.Result {
        try await ExternalProcess("/usr/bin/setpriv", [
            "--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups",
            try softphonectlPath(), "--socket", path, "--json", "status",
        ]).finished(within: .seconds(60))
    }

    @Test func authorizerRulesAndOwnUID() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            #expect(try await client.request("status").errorCode == nil)
        }
        let authorizer = try PeerAuthorizer(ownUID: 1000, allowedUIDs: [1001], allowedGroup: nil)
        #expect(authorizer.permits(PeerCredentials(pid: 1, uid: 1000, gid: 5)))
        #expect(authorizer.permits(PeerCredentials(pid: 1, uid: 0, gid: 0)))
        #expect(authorizer.permits(PeerCredentials(pid: 1, uid: 1001, gid: 5)))
        #expect(!authorizer.permits(PeerCredentials(pid: 1, uid: 1002, gid: 5)))
    }

    @Test(.enabled(if: runningAsRoot, "needs root to run a client as another uid (setpriv)"))
    func foreignUIDGetsOneErrorLineAndIsDisconnected() async throws {
        try await withServer { path, _, _ in
            Self.openUp(path)
            let output = try await Self.statusAsNobody(path)
            #expect(output.status == 1)
            #expect(output.standardError.contains("error 1003"))
            #expect(output.standardError.contains("uid 65534 is not permitted"))

            // The exact wire behaviour: one error line with id null, then end of stream.
            let script = """
                import socket,sys
                s=socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1])
                data=b''
                while True:
                    chunk=s.recv(4096)
                    if not chunk: break
                    data+=chunk
                sys.stdout.write(data.decode())
                """
            let raw = try await ExternalProcess("/usr/bin/setpriv", [
                "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, path,
            ]).finished(within: .seconds(60))
            let lines = raw.standardOutputText.split(separator: "\n")
            #expect(lines.count == 1)
            let response = try JSONDecoder().decode(JSONRPCResponse.self, from: Data((lines.first ?? "").utf8))
            #expect(response.id == .null)
            #expect(response.errorCode == ControlError.Code.notPermitted)
        }
    }

    @Test(.enabled(if: runningAsRoot, "needs root to run a client as another uid (setpriv)"))
    func allowedUIDIsLetIn() async throws {
        try await withServer(configure: { $0.allowedUIDs = [Self.nobody] }) { path, _, _ in
            Self.openUp(path)
            let output = try await Self.statusAsNobody(path)
            #expect(output.status == 0, "\(output.standardError)")
            #expect(output.standardOutputText.contains("\"muted\""))
        }
    }

    @Test(.enabled(if: runningAsRoot, "needs root to run a client as another uid (setpriv)"))
    func allowedGroupMemberIsLetIn() async throws {
        try await withServer(configure: { $0.allowedGroup = "nogroup" }) { path, _, _ in
            Self.openUp(path)
            let output = try await Self.statusAsNobody(path)
            #expect(output.status == 0, "\(output.standardError)")
        }
    }
}
