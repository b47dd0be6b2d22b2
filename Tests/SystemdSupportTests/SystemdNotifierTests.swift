#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SystemdSupport

@Suite struct SystemdNotifierTests {
    @Test func sendsEveryStateToAPathSocket() throws {
        let manager = try NotifyReceiver()
        let notifier = try SystemdNotifier(address: manager.address)
        #expect(notifier.isEnabled)

        #expect(notifier.ready())
        #expect(manager.receive() == "READY=1")
        #expect(notifier.status("in call, muted"))
        #expect(manager.receive() == "STATUS=in call, muted")
        #expect(notifier.watchdog())
        #expect(manager.receive() == "WATCHDOG=1")
        #expect(notifier.stopping())
        #expect(manager.receive() == "STOPPING=1")
        #expect(notifier.send("EXTEND_TIMEOUT_USEC=1000000"))
        #expect(manager.receive() == "EXTEND_TIMEOUT_USEC=1000000")
        #expect(notifier.sentCount == 5)
        #expect(notifier.failureCount == 0)
    }

    @Test func reloadingCarriesTheMonotonicClock() throws {
        let manager = try NotifyReceiver()
        let notifier = try SystemdNotifier(address: manager.address)
        let before = SystemdNotifier.monotonicMicroseconds()
        notifier.reloading()
        let after = SystemdNotifier.monotonicMicroseconds()
        let message = try #require(manager.receive())
        let lines = message.split(separator: "\n").map(String.self.init)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(stamp >= before && stamp <= after)

        notifier.ready(status: "idle")
        #expect(manager.receive() == "READY=1\nSTATUS=idle")
    }

    @Test func statusStaysOneAssignment() throws {
        let manager = try NotifyReceiver()
        let notifier = try SystemdNotifier(address: manager.address)
        notifier.status("line one\nREADY=1")
        #expect(manager.receive() == "STATUS=line one READY=1")
    }

    @Test func sendsToAnAbstractSocket() throws {
        let manager = try NotifyReceiver(abstract: true)
        #expect(manager.address.hasPrefix("@"))
        let notifier = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": manager.address])
        #expect(notifier.setupError == nil)
        #expect(notifier.ready())
        #expect(manager.receive() == "READY=1")
        #expect(notifier.watchdog())
        #expect(manager.receive() == "WATCHDOG=1")
    }

    @Test func isANoOpWithoutNotifySocket() {
        let notifier = SystemdNotifier.fromEnvironment([:])
        #expect(!notifier.isEnabled)
        #expect(notifier.setupError == nil)
        #expect(!notifier.ready())
        #expect(notifier.sentCount == 0)
        #expect(notifier.failureCount == 0)
    }

    @Test func malformedAddressDisablesWithAReason() {
        let relative = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "run/notify"])
        #expect(!relative.isEnabled)
        #expect(relative.setupError?.description.contains("run/notify") == true)

        let long = "/" + String(repeating: "x", count: 200)
        #expect(throws: SystemdError.self) { try SystemdNotifier(address: long) }
        #expect(throws: SystemdError.self) { try SystemdNotifier(address: "@") }
    }

    @Test func undeliverableMessagesAreCountedNotFatal() throws {
        let manager = try NotifyReceiver()
        let address = manager.address
        let notifier = try SystemdNotifier(address: address + ".gone")
        #expect(!notifier.ready())
        #expect(!notifier.watchdog())
        #expect(notifier.failureCount == 2)
        #expect(notifier.lastFailureErrno == ENOENT)
        #expect(manager.drain().isEmpty)
    }

    @Test func neverBlocksWhenTheManagerStopsReading() throws {
        let manager = try NotifyReceiver()
        let notifier = try SystemdNotifier(address: manager.address)
        // Nobody reads: the receive queue fills and later sends fail at once instead of waiting.
        for _ in 0..<10_000 { notifier.watchdog() }
        #expect(notifier.sentCount + notifier.failureCount == 10_000)
        #expect(notifier.failureCount > 0)
        #expect(notifier.lastFailureErrno == EAGAIN)
    }
}
