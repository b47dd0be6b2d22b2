import DaemonTestSupport
import Foundation
import Testing

extension ServiceTests {
    /// SPEC §7: under systemd, stderr is the journal's stream and each line carries a `<N>`
    /// priority prefix; anywhere else (a terminal, a file) the lines stay plain.
    @Suite("Logging to the journal")
    struct JournalTests {
        /// `<device>:<inode>` of a file, as systemd writes `JOURNAL_STREAM`.
        static func journalStream(of path: String) throws -> String {
            var info = stat()
            guard stat(path, &info) == 0 else { throw DaemonProcessError("stat(\(path)) failed") }
            return "\(info.st_dev):\(info.st_ino)"
        }

        /// Runs softphoned with stderr on `logPath` until its socket serves, then stops it.
        /// - Returns: the log lines.
        static func run(journalStream: (String) throws -> String) async throws -> [Substring] {
            let directory = try DaemonProcess.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let logPath = directory.appendingPathComponent("stderr.log").path
            let socketPath = directory.appendingPathComponent("control.sock").path
            let config = directory.appendingPathComponent("softphoned.yaml")
            try (ServiceTests.idleYAML + "\ncontrol: { socket: \"\(socketPath)\" }\n").write(to: config, atomically: true, encoding: .utf8)
            // Created here, appended to by the child: the inode JOURNAL_STREAM names is the one it writes.
            close(open(logPath, O_WRONLY | O_CREAT, 0o600))
            var environment = DaemonProcess.environment()
            environment["JOURNAL_STREAM"] = try journalStream(logPath)
            let daemon = try ExternalProcess(DaemonProcess.product("softphoned").path, ["--config", config.path],
                                             environment: environment, inheritEnvironment: false,
                                             output: URL(fileURLWithPath: logPath))
            func log() -> String { String(decoding: daemon.standardOutputSoFar(), as: UTF8.self) }
            #expect(try await eventually { (try? ControlClient(path: socketPath)) != nil || !daemon.isRunning }, "\(log())")
            daemon.terminate()
            #expect((try? await daemon.finished(within: .seconds(5)))?.succeeded == true, "\(log())")
            return log().split(separator: "\n")
        }

        @Test("JOURNAL_STREAM naming stderr: <N> prefixes with syslog priorities; naming something else: plain lines")
        func priorityPrefixes() async throws {
            let lines = try await Self.run { try Self.journalStream(of: $0) }
            try #require(!lines.isEmpty)
            #expect(lines.allSatisfy { $0.first == "<" && $0.dropFirst(2).first == ">" }, "\(lines)")
            // "softphoned starting" is info: syslog priority 6.
            #expect(lines.contains { $0.hasPrefix("<6>") && $0.contains("softphoned starting") }, "\(lines)")

            // An inherited variable that names another file: no prefixes.
            let plain = try await Self.run { _ in try Self.journalStream(of: "/dev/null") }
            try #require(!plain.isEmpty)
            #expect(plain.allSatisfy { $0.first != "<" }, "\(plain)")
        }
    }
}
