import Foundation
import Testing

@Suite struct ExampleConfigurationTests {
    /// Every key of SPEC §6.
    static let specKeys = [
        "audio.source", "audio.playback", "audio.mixer",
        "opus.bitrate", "opus.complexity", "opus.fec", "opus.dtx",
        "mute.mode", "mute.initial", "mute.persist-across-calls", "mute.sync-device",
        "call.remote", "call.local-port", "call.payload-type", "call.srtp-suite", "call.srtp-key", "call.srtp-key-file",
        "control.socket", "control.allowed-uids", "control.allowed-group",
        "api.profile", "api.org", "api.base-url", "api.token-url", "api.client-id", "api.user-id", "api.scope",
        "api.poll-interval-ms", "api.verify", "api.client-secret-file",
        "api.environment", "api.login-url", "api.grant", "api.token-file",
        "log.level",
    ]

    /// Dotted keys of a two-level YAML file, counting commented-out keys (`#   remote: …`)
    /// as documented.
    static func documentedKeys(_ yaml: String) -> Set<String> {
        var keys = Set<String>()
        var section: String?
        for raw in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = Substring(raw)
            var indent = line.prefix(while: { $0 == " " }).count
            line = line.dropFirst(indent)
            if line.hasPrefix("#") {
                line = line.dropFirst()
                let spaces = line.prefix(while: { $0 == " " }).count
                indent += max(0, spaces - 1)
                line = line.dropFirst(spaces)
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon]
            guard !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0 == "-" }) else { continue }
            if indent == 0 {
                section = String(name)
                keys.insert(String(name))
            } else if let section {
                keys.insert("\(section).\(name)")
            }
        }
        return keys
    }

    @Test func documentsEveryKeyOfTheSpecification() throws {
        let url = ProcessRunner.repositoryRoot.appendingPathComponent("config/softphoned.example.yaml")
        let keys = Self.documentedKeys(try String(contentsOf: url, encoding: .utf8))
        let missing = Self.specKeys.filter { !keys.contains($0) }
        #expect(missing.isEmpty, "missing from the example: \(missing)")
    }

    @Test func keyScannerSeesNestingAndComments() {
        let keys = Self.documentedKeys("a:\n  b: 1\n# c:\n#   d: x\n  # e: y\n# Prose: not a key\n")
        #expect(keys == ["a", "a.b", "c", "c.d", "c.e"])
    }
}
