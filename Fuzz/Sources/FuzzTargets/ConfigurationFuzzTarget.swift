import Foundation
import MediaCore
import SoftphoneDaemon

/// The operator's configuration: a YAML file and `SOFTPHONED_*` environment variables,
/// through `ConfigurationLoader` and `--print-config`; and a WAV file for `file:` sources.
///
/// The input is YAML, then optionally a NUL byte and `NAME=value` lines for the
/// environment. Whatever it holds, loading either succeeds or throws (exit 78); it never traps.
public enum ConfigurationFuzzTarget {
    /// One file per fuzzing process, rewritten for each input.
    static let path = FileManager.default.temporaryDirectory.path + "/softphoned-fuzz-\(getpid()).yaml"

    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        let yaml = Data(bytes[0..<split])
        var environment: [String: String] = [:]
        if split < bytes.count {
            let text = String(decoding: bytes[(split + 1)...], as: UTF8.self)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                environment[String(parts[0])] = String(parts[1])
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: yaml) else { return }
        let file = path
        let variables = environment
        FuzzDriver.wait {
            if let configuration = try? await ConfigurationLoader.load(path: file, environment: variables) {
                _ = configuration.dump()
            }
        }
        _ = try? WAVFile(data: [UInt8](bytes))
    }
}
