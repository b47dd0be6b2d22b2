import Foundation
import FuzzConfigTarget
import FuzzControlTarget
import FuzzSIPTarget
import FuzzTargets
import Testing

/// Every saved fuzz input, replayed through its target in the ordinary test run: the seed
/// corpus (real peers' SDP, RTCP compounds, control lines, configurations) and every input
/// that ever crashed a target (Fuzz/Crashes/<target>/), so a fixed crash stays fixed even
/// where no fuzzer is built.
@Suite struct FuzzDriverTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    static let names = ["sdp", "control", "media", "config", "sip"]

    static func body(_ target: String) -> FuzzDriver.Body? {
        switch target {
        case "sdp": SDPFuzzTarget.run
        case "control": ControlFuzzTarget.run
        case "media": MediaFuzzTarget.run
        case "config": ConfigurationFuzzTarget.run
        case "sip": SIPFuzzTarget.run
        default: nil
        }
    }

    @Test(arguments: names)
    func seedCorpusAndCrashesReplayWithoutATrap(target: String) async throws {
        let body = try #require(Self.body(target))
        let corpus = await FuzzDriver.replayOnThread([Self.fuzzDirectory + "/Corpus/" + target], body)
        #expect(corpus > 0, "Fuzz/Corpus/\(target) holds no seed inputs")
        await FuzzDriver.replayOnThread([Self.fuzzDirectory + "/Crashes/" + target], body)
    }

    @Test func everyCrashDirectoryBelongsToATarget() {
        let names = Set(Self.names)
        let directories = (try? FileManager.default.contentsOfDirectory(atPath: Self.fuzzDirectory + "/Crashes")) ?? []
        #expect(directories.filter { !$0.hasPrefix(".") && !names.contains($0) }.isEmpty)
    }
}
