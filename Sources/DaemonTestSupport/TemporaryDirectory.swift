import Foundation

/// Fresh private directories for test files (WAV recordings, SDP files, process output).
public enum TemporaryDirectory {
    /// Creates a new, empty directory under the system's temporary directory.
    public static func make(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("softphoned-\(prefix)-\(UUID().uuidString.prefix(12))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
