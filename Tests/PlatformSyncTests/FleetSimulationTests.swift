import FleetSimulation
import Testing

@Suite("FleetSimulation")
struct FleetSimulationTests {
    @Test("20 agents toggling and supervised against one emulator: no change lost, none invented, within the rate limit")
    func smallFleet() async throws {
        let report = try await FleetSimulation(.init(
            agents: 20, duration: .seconds(6), toggleInterval: .seconds(2), idle: .seconds(2),
            applyDelay: .milliseconds(20), heartbeatInterval: .seconds(30), rampUp: .seconds(1))).run()
        #expect(report.connected == 20)
        #expect(report.localChanges >= 40)
        #expect(report.supervisorChanges > 0)
        #expect(report.lostLocalChanges == 0)
        #expect(report.lostRemoteChanges == 0)
        #expect(report.falseRemoteChanges == 0)
        #expect(report.rateLimited == 0)
        // Idle in a call with the socket up: no REST request at all.
        #expect(report.idleRequestsPerAgentHour == 0)
    }
}
