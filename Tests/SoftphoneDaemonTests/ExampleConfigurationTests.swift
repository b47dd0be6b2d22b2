import DaemonTestSupport
import Foundation
import SoftphoneDaemon
import Testing

/// `config/softphoned.example.yaml` documents every key the loader reads: the list is the
/// loader's own (`ConfigurationKey`, the only keys it can read), not one written here.
@Suite struct ExampleConfigurationTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/softphoned.example.yaml")

    /// Dotted keys of a two-level YAML file, counting commented-out keys (`#   remote: …`)
    /// as documented unless `commented` is false.
    static func documentedKeys(_ yaml: String, commented: Bool = true) -> Set<String> {
        var keys = Set<String>()
        var section: String?
        for raw in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = Substring(raw)
            var indent = line.prefix(while: { $0 == " " }).count
            line = line.dropFirst(indent)
            if line.hasPrefix("#") {
                guard commented else { continue }
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

    @Test func documentsEveryKeyTheLoaderReads() throws {
        let keys = Self.documentedKeys(try String(contentsOf: Self.example, encoding: .utf8))
        let missing = ConfigurationKey.allCases.map(\.rawValue).filter { !keys.contains($0) }
        #expect(missing.isEmpty, "missing from the example: \(missing)")
        // And no key set in the example that the loader would ignore.
        let set = Self.documentedKeys(try String(contentsOf: Self.example, encoding: .utf8), commented: false)
        let sections = Set(ConfigurationKey.allCases.map { String($0.rawValue.split(separator: ".")[0]) })
        let unknown = set.subtracting(ConfigurationKey.allCases.map(\.rawValue)).subtracting(sections)
        #expect(unknown.isEmpty, "set in the example but not read by the loader: \(unknown.sorted())")
    }

    @Test func keyScannerSeesNestingAndComments() {
        let keys = Self.documentedKeys("a:\n  b: 1\n# c:\n#   d: x\n  # e: y\n# Prose: not a key\n")
        #expect(keys == ["a", "a.b", "c", "c.d", "c.e"])
        #expect(Self.documentedKeys("a:\n  b: 1\n# c:\n#   d: x\n  # e: y\n", commented: false) == ["a", "a.b"])
    }
}
