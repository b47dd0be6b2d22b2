import DaemonTestSupport
import Foundation
import Testing

extension ServiceTests {
    /// Socket activation as systemd does it (`softphoned.socket`), through systemd's own
    /// `systemd-socket-activate`: it binds the socket, waits for the first client, and execs
    /// softphoned with `LISTEN_FDS=1` and `LISTEN_FDNAMES=control`.
    @Suite("Socket activation", .enabled(if: FileManager.default.isExecutableFile(atPath: ServiceTests.socketActivate)))
    struct SocketActivationTests {
        @Test("softphoned serves the socket it is handed, never binds its own, and reports READY=1")
        func servesPassedSocket() async throws {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let activated = directory.appendingPathComponent("activated.sock").path
            let configured = directory.appendingPathComponent("configured.sock").path
            let config = directory.appendingPathComponent("softphoned.yaml")
            try (ServiceTests.idleYAML + "\ncontrol: { socket: \"\(configured)\" }\n").write(to: config, atomically: true, encoding: .utf8)
            let listener = try NotifyListener(path: directory.appendingPathComponent("notify.sock").path)
            defer { listener.stop() }

            let environment = DaemonProcess.environment()
            let process = try ExternalProcess(
                ServiceTests.socketActivate,
                ["-l", activated, "--fdname=control", "-E", "NOTIFY_SOCKET=\(listener.path)",
                 DaemonProcess.product("softphoned").path, "--config", config.path],
                environment: environment, inheritEnvironment: false, output: directory.appendingPathComponent("activate.log"))
            func logText() -> String { String(decoding: process.standardOutputSoFar(), as: UTF8.self) }
            #expect(try await eventually(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: activated) }, "\(logText())")

            // The first client's connection starts softphoned, which answers it.
            let status = try await ServiceTests.softphonectl(["--socket", activated, "status"])
            #expect(status.status == 0, "\(status.stderr) \(logText())")
            #expect(status.stdout.contains("live"), "\(status.stdout)")
            #expect(try await listener.wait(for: "READY=1") != nil, "no READY=1 from the activated daemon")

            // Later clients too, over the same inherited socket.
            let muted = try await ServiceTests.softphonectl(["--socket", activated, "--json", "mute"])
            #expect(muted.status == 0)
            let json = try JSONSerialization.jsonObject(with: Data(muted.stdout.utf8)) as? [String: Any]
            #expect(json?["muted"] as? Bool == true)

            // It never created the configured socket: the activated one replaced it.
            #expect(!FileManager.default.fileExists(atPath: configured))
            #expect(logText().contains("inherited"), "\(logText())")

            process.terminate()
            #expect((try? await process.finished(within: .seconds(5)))?.succeeded == true, "\(logText())")
            #expect(!FileManager.default.fileExists(atPath: configured))
        }
    }

    static let socketActivate = "/usr/bin/systemd-socket-activate"
}
