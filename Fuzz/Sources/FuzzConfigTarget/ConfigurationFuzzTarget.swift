import Foundation
import FuzzTargets
import MediaCore
import SoftphoneDaemon

/// The operator's configuration: a YAML file and `SOFTPHONED_*` environment variables,
/// through `ConfigurationLoader` and `--print-config`; and a WAV file for `file:` sources.
///
/// The input is YAML, then optionally a NUL byte and `NAME=value` lines for the
/// environment. Whatever it holds, loading either succeeds or throws (exit 78); it never traps.
public enum ConfigurationFuzzTarget {
    /// One file per fuzzing process, rewritten in place for each input, in memory when
    /// /dev/shm exists: `FileManager.createFile` writes atomically (a temporary file,
    /// fsync, rename), which cost more than loading the configuration itself.
    static let path = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : FileManager.default.temporaryDirectory.path)
        + "/softphoned-fuzz-\(getpid()).yaml"
    static let file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)

    /// Replaces the file's contents with `bytes`.
    static func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard file >= 0, ftruncate(file, 0) == 0 else { return false }
        var offset = 0
        while offset < bytes.count {
            let written = pwrite(file, bytes.baseAddress! + offset, bytes.count - offset, off_t(offset))
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        var environment: [String: String] = [:]
        if split < bytes.count {
            let text = String(decoding: bytes[(split + 1)...], as: UTF8.self)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                environment[String(parts[0])] = String(parts[1])
            }
        }
        guard write(UnsafeRawBufferPointer(rebasing: bytes[0..<split])) else { return }
        let yamlPath = path
        let variables = environment
        FuzzDriver.wait {
            if let configuration = try? await ConfigurationLoader.load(path: yamlPath, environment: variables) {
                _ = configuration.dump()
            }
        }
        _ = try? WAVFile(data: [UInt8](bytes))
    }
}
