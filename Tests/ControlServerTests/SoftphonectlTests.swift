import DaemonTestSupport
import ControlProtocol
import Foundation
import Testing

@testable import ControlServer

@Suite("softphonectl: exit status and output")
struct SoftphonectlTests {
    static func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> ExternalProcess.Result {
        try await ExternalProcess(try softphonectlPath(), arguments, environment: environment ?? [:], inheritEnvironment: environment == nil).finished(within: .seconds(60))
    }

    @Test(arguments: [
        ["bogus"],
        ["mute", "--mode", "loud"],
        ["events", "--type", "explode"],
        ["call", "start", "--remote", "127.0.0.1:5004"],
        ["status", "--no-such-flag"],
    ])
    func usageErrorsExitWith2(arguments: [String]) async throws {
        let output = try await Self.run(["--socket", "/tmp/cst-none/x.sock"] + arguments)
        #expect(output.status == 2, "\(arguments): \(output.standardError)")
        #expect(!output.standardError.isEmpty)
    }

    @Test func unreachableDaemonExitsWith3NamingThePath() async throws {
        let output = try await Self.run(["--socket", "/tmp/cst-none/control.sock", "status"])
        #expect(output.status == 3)
        #expect(output.standardError.contains("/tmp/cst-none/control.sock"))
        #expect(output.standardError.contains("running"))
    }

    @Test func environmentVariableChoosesTheSocket() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment[ControlSocketPath.environmentVariable] = "/tmp/cst-env/control.sock"
        let output = try await Self.run(["mute"], environment: environment)
        #expect(output.status == 3)
        #expect(output.standardError.contains("/tmp/cst-env/control.sock"))
    }

    @Test func commandsAgainstALiveServer() async throws {
        try await withServer { path, _, _ in
            let status = try await Self.run(["--socket", path, "status"])
            #expect(status.status == 0)
            #expect(status.standardOutputText.hasPrefix("live (silence mode, last change: local)"))
            #expect(status.standardOutputText.contains("call: none"))
            #expect(status.standardOutputText.contains("signaling: none off"))

            let mute = try await Self.run(["mute", "--socket", path, "--mode", "disable"])
            #expect(mute.status == 0)
            #expect(mute.standardOutputText == "MUTED (disable, local)\n")

            let json = try await Self.run(["--socket", path, "--json", "status"])
            let result = try JSONDecoder().decode(StatusResult.self, from: Data(json.standardOutputText.utf8))
            #expect(result.muted && result.mode == .disable && result.call == nil)
            #expect(json.standardOutputText.contains("\"call\" : null"))

            let toggle = try await Self.run(["--socket", path, "toggle"])
            #expect(toggle.standardOutputText.hasPrefix("live"))
        }
    }

    @Test func daemonErrorsExitWith1() async throws {
        try await withServer { path, _, _ in
            let hangup = try await Self.run(["--socket", path, "call", "hangup"])
            #expect(hangup.status == 1)
            #expect(hangup.standardError == "error 1001: no active call\n")

            let sdpFile = FileManager.default.temporaryDirectory.appendingPathComponent("cst-\(UUID()).sdp")
            try Data("v=0\r\n".utf8).write(to: sdpFile)
            defer { try? FileManager.default.removeItem(at: sdpFile) }
            let accept = try await Self.run(["--socket", path, "call", "accept", "--sdp-file", sdpFile.path])
            #expect(accept.status == 1)
            #expect(accept.standardError.hasPrefix("error 1004: bad SDP"))
        }
    }

    @Test func eventsPrintsWhatArrivesWithinTheWindow() async throws {
        try await withServer { path, _, handler in
            async let output = Self.run(["--socket", path, "events", "--wait", "3", "--type", "remoteMute"])
            #expect(try await eventually(timeout: .seconds(20)) { handler.bus.subscriberCount == 1 })
            handler.bus.publish(type: .mute, fields: ["muted": true, "source": "local"])
            handler.bus.publish(type: .remoteMute, fields: ["muted": true, "source": "remote"])
            let result = try await output
            #expect(result.status == 0)
            let lines = result.standardOutputText.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("#2 ") == true)
            #expect(lines.first?.hasSuffix("remoteMute muted=true source=remote") == true)
        }
    }
}
