import DaemonTestSupport
import Foundation
import Testing

/// `softphoned --demo` starts the platform emulator as a process of its own.
@Suite("Demo")
struct DemoRunnerTests {
    @Test("the genesys demo runs the emulator in a separate process, signals over its WebSocket and says which profile runs")
    func genesysDemo() async throws {
        let (status, output, errors) = try await runCommand(DaemonProcess.product("softphoned"), ["--demo", "--duration", "4"], timeout: 30)
        #expect(status == 0, "the demo failed: \(errors)")
        #expect(output.contains("profile genesys"))
        let pid = output.range(of: #"softphone-api-emulator \(pid (\d+)\)"#, options: .regularExpression).map { String(output[$0]) }
        #expect(pid != nil, "the emulator did not run as its own process: \(output)")
        #expect(output.contains("platform synced") && output.contains("ws connected"), "the demo never synced with the emulator: \(output)")
        #expect(output.contains("memory (smaps_rollup): softphoned RSS"))
    }

    @Test("an unknown demo profile is a usage error")
    func unknownProfile() async throws {
        let (status, _, errors) = try await runCommand(DaemonProcess.product("softphoned"), ["--demo", "--profile", "cloud"], timeout: 10)
        #expect(status == 2)
        #expect(errors.contains("--profile must be genesys or sessions"))
    }
}
