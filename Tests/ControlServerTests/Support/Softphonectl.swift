import DaemonTestSupport
import Foundation

/// The built `softphonectl`, next to the test bundle in the build directory
/// (`swift test` builds it; `swift build --product softphonectl` does too).
func softphonectlPath() throws -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("softphonectl").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/softphonectl"
    guard FileManager.default.isExecutableFile(atPath: fallback) else {
        throw ControlClientError("softphonectl is not built; run `swift build --product softphonectl` first")
    }
    return fallback
}
