import DaemonTestSupport
import Foundation
import Testing

/// The units as `scripts/install.sh` installs them, checked by systemd's own tools.
@Suite(.enabled(if: InstallFixture.which("systemd-analyze") != nil, "systemd-analyze is not installed (Debian package systemd)"))
struct SystemdUnitTests {
    private let fm = FileManager.default

    /// Installs into a temporary prefix (no DESTDIR), so that ExecStart= names a binary that
    /// really exists, as `systemd-analyze verify` requires.
    private func installed() throws -> (work: URL, prefix: String) {
        let work = try InstallFixture.temporaryDirectory("units")
        let bin = try InstallFixture.standInBinaries(in: work)
        let prefix = work.appendingPathComponent("prefix").path
        let result = try InstallFixture.install(bin: bin, variables: [
            "PREFIX": prefix, "SYSCONFDIR": work.appendingPathComponent("etc").path,
        ])
        guard result.status == 0 else {
            try? fm.removeItem(at: work)
            throw InstallFailed(output: result.standardOutputText)
        }
        return (work, prefix)
    }

    private struct InstallFailed: Error, CustomStringConvertible {
        let output: String
        var description: String { "install.sh failed: \(output)" }
    }

    /// `systemd-analyze verify`: success and not a single complaint about our units
    /// (unknown keys are only warnings with exit status 0, so the output is checked too).
    private func verify(_ units: [String], user: Bool, work: URL) throws -> [String] {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        if user {
            let runtime = work.appendingPathComponent("xdg-runtime")
            try fm.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            environment["XDG_RUNTIME_DIR"] = runtime.path
            environment["HOME"] = work.path
        }
        let result = try InstallFixture.run(
            InstallFixture.which("systemd-analyze")!, (user ? ["--user"] : []) + ["verify"] + units,
            environment: environment)
        var problems = result.standardOutputText.split(separator: "\n").map(String.init).filter { $0.contains("softphoned") }
        if result.status != 0 { problems.append("exit status \(result.status): \(result.standardOutputText)") }
        return problems
    }

    @Test func systemUnitsVerify() throws {
        let (work, prefix) = try installed()
        defer { try? fm.removeItem(at: work) }
        let dir = "\(prefix)/lib/systemd/system"
        let problems = try verify(["\(dir)/softphoned.service", "\(dir)/softphoned.socket"], user: false, work: work)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func userUnitsVerify() throws {
        let (work, prefix) = try installed()
        defer { try? fm.removeItem(at: work) }
        let dir = "\(prefix)/lib/systemd/user"
        let problems = try verify(["\(dir)/softphoned.service", "\(dir)/softphoned.socket"], user: true, work: work)
        #expect(problems.isEmpty, "\(problems)")
    }

    /// The check above can fail: a misspelt key and a missing binary are both caught.
    @Test func verifyCatchesABrokenUnit() throws {
        let work = try InstallFixture.temporaryDirectory("units")
        defer { try? fm.removeItem(at: work) }
        let unit = work.appendingPathComponent("softphoned.service")
        try "[Service]\nType=notify\nWatchdogSecs=10s\nExecStart=\(work.path)/missing/softphoned\n"
            .write(to: unit, atomically: true, encoding: .utf8)
        let problems = try verify([unit.path], user: false, work: work)
        #expect(problems.contains { $0.contains("WatchdogSecs") })
        #expect(problems.contains { $0.contains("exit status") })
    }

    @Test func systemServiceExposureIsAtMostTwo() throws {
        let (work, prefix) = try installed()
        defer { try? fm.removeItem(at: work) }
        let result = try InstallFixture.run(
            InstallFixture.which("systemd-analyze")!,
            ["security", "--offline=yes", "\(prefix)/lib/systemd/system/softphoned.service"])
        let exposure = try #require(Self.exposure(result.standardOutputText), "no exposure level in: \(result.standardOutputText)")
        #expect(exposure <= 2.0, "\(result.standardOutputText)")
    }

    @Test func theUnitsDeclareTheServiceContract() throws {
        let root = InstallFixture.repositoryRoot.appendingPathComponent("systemd")
        for path in ["softphoned.service", "system/softphoned.service"] {
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            let settings = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
            for required in ["Type=notify", "NotifyAccess=main", "WatchdogSec=10s", "Restart=on-failure",
                             "ExecReload=/bin/kill -HUP $MAINPID",
                             "ExecStart=@BINDIR@/softphoned --config %E/softphoned/softphoned.yaml"] {
                #expect(settings.contains(required), "\(path) lacks \(required)")
            }
            #expect(settings.contains { $0.hasPrefix("LoadCredential=client-secret:") }, "\(path)")
        }
        let userSocket = try String(contentsOf: root.appendingPathComponent("softphoned.socket"), encoding: .utf8)
        #expect(userSocket.contains("ListenStream=%t/softphoned/control.sock"))
        #expect(userSocket.contains("FileDescriptorName=control"))
        let systemSocket = try String(contentsOf: root.appendingPathComponent("system/softphoned.socket"), encoding: .utf8)
        #expect(systemSocket.contains("ListenStream=/run/softphoned/control.sock"))
        #expect(systemSocket.contains("SocketMode=0600"))
    }

    @Test func exposureParsing() {
        #expect(Self.exposure("...\n→ Overall exposure level for softphoned.service: 1.3 OK 🙂\n") == 1.3)
        #expect(Self.exposure("no summary") == nil)
    }

    /// The number in "Overall exposure level for X: 1.3 OK".
    static func exposure(_ output: String) -> Double? {
        guard let line = output.split(separator: "\n").last(where: { $0.contains("Overall exposure level") }),
              let colon = line.lastIndex(of: ":") else { return nil }
        return line[line.index(after: colon)...].split(separator: " ").first.flatMap { Double($0) }
    }
}
