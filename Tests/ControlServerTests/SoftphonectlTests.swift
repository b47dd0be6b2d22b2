import ControlProtocol
import Foundation
import Testing

@testable import ControlServer

@Suite("softphonectl: exit status and output")
struct SoftphonectlTests {
    static func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> ProcessOutput {
        try await runProcess(try softphonectlPath(), arguments, environment: environment)
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
        #expect(output.status == 2, "\(arguments): \(output.stderr)")
        #expect(!output.stderr.isEmpty)
    }

    @Test func unreachableDaemonExitsWith3NamingThePath() async throws {
        let output = try await Self.run(["--socket", "/tmp/cst-none/control.sock", "status"])
        #expect(output.status == 3)
        #expect(output.stderr.contains("/tmp/cst-none/control.sock"))
        #expect(output.stderr.contains("running"))
    }

    @Test func environmentVariableChoosesTheSocket() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment[ControlSocketPath.environmentVariable] = "/tmp/cst-env/control.sock"
        let output = try await Self.run(["mute"], environment: environment)
        #expect(output.status == 3)
        #expect(output.stderr.contains("/tmp/cst-env/control.sock"))
    }

    @Test func commandsAgainstALiveServer() async throws {
        try await withServer { path, _, _ in
            let status = try await Self.run(["--socket", path, "status"])
            #expect(status.status == 0)
            #expect(status.stdout.hasPrefix("live (silence mode, last change: local)"))
            #expect(status.stdout.contains("call: none"))
            #expect(status.stdout.contains("signaling: none off"))

            let mute = try await Self.run(["mute", "--socket", path, "--mode", "disable"])
            #expect(mute.status == 0)
            #expect(mute.stdout == "MUTED (disable, local)\n")

            let json = try await Self.run(["--socket", path, "--json", "status"])
            let result = try JSONDecoder().decode(StatusResult.self, from: Data(json.stdout.utf8))
            #expect(result.muted && result.mode == .disable && result.call == nil)
            #expect(json.stdout.contains("\"call\" : null"))

            let toggle = try await Self.run(["--socket", path, "toggle"])
            #expect(toggle.stdout.hasPrefix("live"))
        }
    }

    @Test func daemonErrorsExitWith1() async throws {
        try await withServer { path, _, _ in
            let hangup = try await Self.run(["--socket", path, "call", "hangup"])
            #expect(hangup.status == 1)
            #expect(hangup.stderr == "error 1001: no active call\n")

            let sdpFile = FileManager.default.temporaryDirectory.appendingPathComponent("cst-\(UUID()).sdp")
            try Data("v=0\r\n".utf8).write(to: sdpFile)
            defer { try? FileManager.default.removeItem(at: sdpFile) }
            let accept = try await Self.run(["--socket", path, "call", "accept", "--sdp-file", sdpFile.path])
            #expect(accept.status == 1)
            #expect(accept.stderr.hasPrefix("error 1004: bad SDP"))
        }
    }

    @Test func eventsPrintsWhatArrivesWithinTheWindow() async throws {
        try await withServer { path, _, handler in
            async let output = Self.run(["--socket", path, "events", "--wait", "3", "--type", "remoteMute"])
            try await waitFor { handler.bus.subscriberCount == 1 }
            handler.bus.publish(type: .mute, fields: ["muted": true, "source": "local"])
            handler.bus.publish(type: .remoteMute, fields: ["muted": true, "source": "remote"])
            let result = try await output
            #expect(result.status == 0)
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("#2 ") == true)
            #expect(lines.first?.hasSuffix("remoteMute muted=true source=remote") == true)
        }
    }
}
