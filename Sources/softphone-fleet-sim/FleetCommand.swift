import ArgumentParser
import FleetSimulation
import Foundation

/// `softphone-fleet-sim`: 1,000 agents' genesys signaling clients against one emulator in
/// one process, for the fleet figures in the README. Not run in CI (it takes minutes);
/// `FleetSimulationTests` runs a small version.
@main
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softphone-fleet-sim",
        abstract: "Simulate many agents' Genesys signaling against one emulator and report requests, rate limits and lost changes.")

    @Option(help: "Number of agents.")
    var agents = 1000

    @Option(help: "Seconds of toggling.")
    var duration = 90

    @Option(help: "Seconds between one agent's toggles.")
    var toggleInterval = 30

    @Option(help: "Seconds idle in the call before the toggling.")
    var idle = 30

    @Option(help: "Milliseconds the emulator waits before applying a PATCH.")
    var applyDelayMs = 150

    @Option(help: "Seconds over which the agents start.")
    var rampUp = 20

    func validate() throws {
        guard agents > 0, duration > 0, toggleInterval > 0, idle >= 0, applyDelayMs >= 0, rampUp >= 0 else {
            throw ValidationError("every value must be positive")
        }
    }

    func run() async throws {
        let simulation = FleetSimulation(.init(
            agents: agents, duration: .seconds(duration), toggleInterval: .seconds(toggleInterval), idle: .seconds(idle),
            applyDelay: .milliseconds(applyDelayMs), rampUp: .seconds(rampUp)))
        let started = Date()
        let report = try await simulation.run { line in
            FileHandle.standardError.write(Data("[\(String(format: "%6.1f", Date().timeIntervalSince(started)))s] \(line)\n".utf8))
        }
        print(report)
        if report.lostLocalChanges > 0 || report.lostRemoteChanges > 0 || report.falseRemoteChanges > 0 || report.rateLimited > 0 {
            throw ExitCode(1)
        }
    }
}
