import DaemonTestSupport
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import SystemdSupport

@Suite struct WatchdogServiceTests {
    private let logger = Logger(label: "test.watchdog", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `service` in a real service group while `body` runs, then shuts the group down
    /// gracefully and waits for it (the service must return promptly).
    private func withRunningGroup(
        _ service: WatchdogService,
        _ body: () async throws -> Void
    ) async throws {
        let group = ServiceGroup(services: [service], logger: logger)
        let running = Task { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func pingsAtHalfTheIntervalWhileAlive() async throws {
        let manager = try NotifyReceiver()
        let notifier = try SystemdNotifier(address: manager.address)
        let interval = Duration.milliseconds(200)
        let service = WatchdogService(notifier: notifier, interval: interval, logger: logger) { true }
        #expect(service.pingPeriod == .milliseconds(100))

        let start = ContinuousClock.now
        try await withRunningGroup(service) {
            for _ in 0..<4 {
                #expect(await manager.next() == "WATCHDOG=1")
            }
        }
        // The first ping is immediate, then one per half interval: four pings take at
        // least three periods (sleeps never end early), whatever the machine's load.
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        // And it never sends faster than once per period.
        let elapsed = ContinuousClock.now - start
        let allowed = Int(elapsed / .milliseconds(100)) + 1
        #expect(notifier.sentCount <= allowed)
    }

    @Test func withholdsPingsWhileTheMediaPathIsStalled() async throws {
        let manager = try NotifyReceiver()
        let notifier = try SystemdNotifier(address: manager.address)
        let alive = Atomic<Bool>(false)
        let checks = Atomic<Int>(0)
        let service = WatchdogService(notifier: notifier, interval: .milliseconds(100), logger: logger) {
            checks.add(1, ordering: .relaxed)
            return alive.load(ordering: .relaxed)
        }
        try await withRunningGroup(service) {
            // Several liveness checks have come and gone, and none produced a ping.
            let checked = try await eventually(timeout: .seconds(5)) { checks.load(ordering: .relaxed) >= 4 }
            #expect(checked)
            #expect(manager.drain().isEmpty)
            #expect(notifier.sentCount == 0)

            // The media path recovers: pings resume.
            alive.store(true, ordering: .relaxed)
            #expect(await manager.next() == "WATCHDOG=1")
        }
    }

    @Test func idlesUntilShutdownWithoutAnInterval() async throws {
        let manager = try NotifyReceiver()
        let notifier = try SystemdNotifier(address: manager.address)
        let checks = Atomic<Int>(0)
        let service = WatchdogService(notifier: notifier, interval: nil, logger: logger) {
            checks.add(1, ordering: .relaxed)
            return true
        }
        #expect(service.pingPeriod == nil)
        try await withRunningGroup(service) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(checks.load(ordering: .relaxed) == 0)
        #expect(manager.drain().isEmpty)
    }

    @Test func readsTheIntervalFromTheEnvironment() throws {
        let pid = getpid()
        #expect(try WatchdogConfiguration.interval(environment: [:], processID: pid) == nil)
        #expect(try WatchdogConfiguration.interval(
            environment: ["WATCHDOG_USEC": "10000000"], processID: pid) == .seconds(10))
        #expect(try WatchdogConfiguration.interval(
            environment: ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "\(pid)"], processID: pid) == .milliseconds(500))
        // Inherited from a watched parent: not ours to feed.
        #expect(try WatchdogConfiguration.interval(
            environment: ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "\(pid + 1)"], processID: pid) == nil)
    }

    @Test func rejectsMalformedWatchdogVariables() {
        let pid = getpid()
        for bad in ["0", "-5", "ten", "1.5"] {
            #expect(throws: SystemdError.self) {
                try WatchdogConfiguration.interval(environment: ["WATCHDOG_USEC": bad], processID: pid)
            }
        }
        do {
            _ = try WatchdogConfiguration.interval(
                environment: ["WATCHDOG_USEC": "100", "WATCHDOG_PID": "me"], processID: pid)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "invalid WATCHDOG_PID=\"me\": expected a positive process ID")
        }
    }
}
