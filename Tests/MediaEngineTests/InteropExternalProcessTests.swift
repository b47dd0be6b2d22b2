import DaemonTestSupport
import Foundation
import MediaTestSupport
import Testing

/// The process runner the interop tests stand on: peers must really receive the signals
/// that stop them, and a hung peer must not hang the suite.
@Suite("Interop: external process runner", .timeLimit(.minutes(1)))
struct InteropExternalProcessTests {
    @Test("a child can be interrupted with SIGINT")
    func interruptReachesChild() throws {
        let child = try ExternalProcess("sleep", ["30"])
        #expect(child.isRunning)
        let result = try child.interruptAndWait(timeout: 10)
        #expect(result.signalled && result.status == SIGINT, "\(result)")
    }

    @Test("a child that outlives its timeout is killed and reported")
    func timeoutKills() throws {
        let child = try ExternalProcess("sh", ["-c", "trap '' INT TERM; echo started >&2; sleep 30"])
        #expect(throws: ExternalProcessTimeout.self) { try child.wait(timeout: 0.5) }
        #expect(!child.isRunning)
    }

    @Test("output, status and input are captured")
    func capturesOutput() throws {
        let directory = try TemporaryDirectory.make(prefix: "process")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in")
        try Data("hello\n".utf8).write(to: input)
        let result = try ExternalProcess.run("sh", ["-c", "tr a-z A-Z; echo oops >&2; exit 3"], standardInput: input)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "HELLO\n")
        #expect(result.standardError == "oops\n")
        #expect(result.status == 3 && !result.signalled && !result.succeeded)
    }

    @Test("a missing program names make test")
    func missingTool() {
        let error = #expect(throws: ExternalToolError.self) { try ExternalProcess("softphoned-no-such-tool", []) }
        #expect(error?.description.contains("make test") == true)
    }
}
