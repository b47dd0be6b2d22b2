import DaemonTestSupport
import Foundation
import Testing

@Suite struct InstallScriptTests {
    private let fm = FileManager.default

    @Test func installsEverythingUnderDestdirWithTheBinaryPathSubstituted() throws {
        let work = try InstallFixture.temporaryDirectory("install")
        defer { try? fm.removeItem(at: work) }
        let bin = try InstallFixture.standInBinaries(in: work)
        let dest = work.appendingPathComponent("dest").path

        let result = try InstallFixture.install(bin: bin, variables: ["DESTDIR": dest, "PREFIX": "/opt/softphone"])
        #expect(result.status == 0, "\(result.standardOutputText)")

        for name in ["softphoned", "softphonectl", "softphone-api-emulator"] {
            #expect(fm.isExecutableFile(atPath: "\(dest)/opt/softphone/bin/\(name)"), "\(name)")
        }
        for manager in ["user", "system"] {
            for unit in ["softphoned.service", "softphoned.socket"] {
                let path = "\(dest)/opt/softphone/lib/systemd/\(manager)/\(unit)"
                let text = try String(contentsOfFile: path, encoding: .utf8)
                #expect(!text.contains("@BINDIR@") && !text.contains("@DOCDIR@"), "\(path)")
                // The unit names the installed binary, not the staging directory.
                #expect(!text.contains(dest), "\(path)")
                if unit.hasSuffix(".service") {
                    #expect(text.contains("ExecStart=/opt/softphone/bin/softphoned --config %E/softphoned/softphoned.yaml"))
                }
                #expect(try permissions(path) == 0o644)
            }
        }
        #expect(fm.fileExists(atPath: "\(dest)/opt/softphone/share/doc/softphoned/softphoned.example.yaml"))

        let config = "\(dest)/etc/softphoned/softphoned.yaml"
        let secret = "\(dest)/etc/softphoned/client-secret"
        #expect(fm.contentsEqual(atPath: config, andPath: InstallFixture.repositoryRoot.appendingPathComponent("config/softphoned.example.yaml").path))
        #expect(try permissions(secret) == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: secret)).isEmpty)
    }

    @Test func neverOverwritesAnOperatorsConfiguration() throws {
        let work = try InstallFixture.temporaryDirectory("install")
        defer { try? fm.removeItem(at: work) }
        let bin = try InstallFixture.standInBinaries(in: work)
        let dest = work.appendingPathComponent("dest").path
        let variables = ["DESTDIR": dest, "PREFIX": "/usr/local", "SYSCONFDIR": "/etc"]
        #expect(try InstallFixture.install(bin: bin, variables: variables).status == 0)

        let config = "\(dest)/etc/softphoned/softphoned.yaml"
        let secret = "\(dest)/etc/softphoned/client-secret"
        try "log:\n  level: debug\n".write(toFile: config, atomically: true, encoding: .utf8)
        try "s3cr3t\n".write(toFile: secret, atomically: true, encoding: .utf8)

        let again = try InstallFixture.install(bin: bin, variables: variables)
        #expect(again.status == 0, "\(again.standardOutputText)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "log:\n  level: debug\n")
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "s3cr3t\n")
    }

    @Test func configurationCanBeLeftOut() throws {
        let work = try InstallFixture.temporaryDirectory("install")
        defer { try? fm.removeItem(at: work) }
        let bin = try InstallFixture.standInBinaries(in: work)
        let dest = work.appendingPathComponent("dest").path
        let result = try InstallFixture.install(bin: bin, variables: ["DESTDIR": dest, "INSTALL_CONFIG": "0"])
        #expect(result.status == 0, "\(result.standardOutputText)")
        #expect(fm.isExecutableFile(atPath: "\(dest)/usr/local/bin/softphoned"))
        #expect(!fm.fileExists(atPath: "\(dest)/etc/softphoned"))
    }

    @Test func refusesAMissingBinaryWithAClearMessage() throws {
        let work = try InstallFixture.temporaryDirectory("install")
        defer { try? fm.removeItem(at: work) }
        let bin = try InstallFixture.standInBinaries(in: work, names: ["softphoned", "softphone-api-emulator"])
        let dest = work.appendingPathComponent("dest").path
        let result = try InstallFixture.install(bin: bin, variables: ["DESTDIR": dest])
        #expect(result.status != 0)
        #expect(result.standardOutputText.contains("softphonectl"))
        #expect(!fm.fileExists(atPath: "\(dest)/usr/local/bin/softphoned"))
    }

    @Test func refusesARelativePrefix() throws {
        let work = try InstallFixture.temporaryDirectory("install")
        defer { try? fm.removeItem(at: work) }
        let bin = try InstallFixture.standInBinaries(in: work)
        let result = try InstallFixture.install(bin: bin, variables: ["DESTDIR": work.appendingPathComponent("dest").path, "PREFIX": "usr"])
        #expect(result.status != 0)
        #expect(result.standardOutputText.contains("PREFIX must be an absolute path"))
    }

    private func permissions(_ path: String) throws -> Int {
        (try fm.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
