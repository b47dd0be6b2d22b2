import Foundation

/// Finds the programs the interop and audio tests need.
///
/// A missing program is an error, never a skipped test: a green run must mean the peers
/// were really exercised. `make test` installs them all.
public enum ExternalTool {
    /// The Debian package that provides each program, for the error message.
    static let packages: [String: String] = [
        "gst-launch-1.0": "gstreamer1.0-tools (with gstreamer1.0-plugins-good and -bad)",
        "gst-inspect-1.0": "gstreamer1.0-tools",
        "ffmpeg": "ffmpeg",
        "pulseaudio": "pulseaudio",
        "pactl": "pulseaudio-utils",
        "pacat": "pulseaudio-utils",
        "parec": "pulseaudio-utils",
        "sox": "sox",
        "kamailio": "kamailio (with kamailio-tls-modules)",
        "kamcmd": "kamailio",
        "baresip": "baresip-core",
        "linphonec": "linphone-cli",
        "openssl": "openssl",
        "setsid": "util-linux",
    ]

    /// The absolute path of `name` (looked up on `PATH` unless it already contains a `/`).
    /// - Throws: `ExternalToolError` naming the package and `make test`.
    public static func path(of name: String) throws(ExternalToolError) -> String {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw ExternalToolError(tool: name) }
            return name
        }
        let search = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in search.split(separator: ":") + ["/usr/bin", "/usr/sbin", "/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ExternalToolError(tool: name, package: packages[name])
    }

    /// Checks several programs at once, so one message lists everything missing.
    public static func require(_ names: String...) throws(ExternalToolError) {
        let missing = names.filter { (try? path(of: $0)) == nil }
        guard missing.isEmpty else {
            throw ExternalToolError(tool: missing.joined(separator: ", "),
                                    package: missing.compactMap { packages[$0] }.joined(separator: ", "))
        }
    }
}

/// A program the tests need is not installed.
public struct ExternalToolError: Error, CustomStringConvertible {
    public let tool: String
    public let package: String?
    public init(tool: String, package: String? = nil) {
        self.tool = tool
        self.package = package
    }
    public var description: String {
        let from = package.map { " (Debian package \($0))" } ?? ""
        return "\(tool) is not installed\(from); run `make test`, which installs what the tests need"
    }
}
