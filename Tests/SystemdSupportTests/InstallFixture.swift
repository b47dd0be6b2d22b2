import Foundation

/// Runs real programs for the tests: the install script and systemd-analyze.
enum ProcessRunner {
    struct Result {
        var status: Int32
        /// stdout and stderr interleaved, as a person would see them.
        var output: String
    }

    /// The repository's root, found from this file's location.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The absolute path of `name` on `PATH`, or `nil`.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    currentDirectory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
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
    static func install(bin: URL, variables: [String: String]) throws -> Result {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        environment.merge(variables) { _, new in new }
        return try run("/bin/bash", [repositoryRoot.appendingPathComponent("scripts/install.sh").path, bin.path],
                       environment: environment)
    }
}
