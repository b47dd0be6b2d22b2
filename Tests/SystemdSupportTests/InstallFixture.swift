import DaemonTestSupport
import Foundation

/// The install script and systemd-analyze, run for the tests (on `ExternalProcess`).
enum InstallFixture {
    /// The repository's root, found from this file's location.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The absolute path of `name` on `PATH`, or `nil`.
    static func which(_ name: String) -> String? { try? ExternalTool.path(of: name) }

    /// Runs a program to completion. - Returns: its status, with stdout and stderr
    /// interleaved in `standardOutputText`, as a person would see them.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> ExternalProcess.Result {
        let directory = try TemporaryDirectory.make(prefix: "run")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try ExternalProcess.run(executable, arguments, environment: environment ?? [:],
                                       inheritEnvironment: environment == nil,
                                       output: directory.appendingPathComponent("output"), timeout: 120)
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A directory with `/bin/true` copies standing in for the release binaries.
    static func standInBinaries(in directory: URL, names: [String] = ["softphoned", "softphonectl", "softphone-api-emulator"]) throws -> URL {
        let bin = directory.appendingPathComponent("build-bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.copyItem(atPath: "/bin/true", toPath: bin.appendingPathComponent(name).path)
        }
        return bin
    }

    /// Runs `scripts/install.sh` with `bin` as the build directory and `variables` set.
    static func install(bin: URL, variables: [String: String]) throws -> ExternalProcess.Result {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        environment.merge(variables) { _, new in new }
        return try run("/bin/bash", [repositoryRoot.appendingPathComponent("scripts/install.sh").path, bin.path],
                       environment: environment)
    }
}
