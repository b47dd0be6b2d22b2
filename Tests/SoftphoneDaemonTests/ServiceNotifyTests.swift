import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

extension ServiceTests {
    /// `Type=notify` from the daemon's side (SPEC §7), received on a real `AF_UNIX` datagram
    /// socket standing in for the service manager.
    @Suite("sd_notify and the watchdog")
    struct NotifyTests {
        /// The variables systemd sets for a `Type=notify` service with `WatchdogSec=0.4`.
        static func environment(_ listener: NotifyListener) -> [String: String] {
            ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": ""]
        }

        @Test("READY=1 once the control socket serves, STATUS= follows mute, WATCHDOG=1 every ~200 ms, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 on SIGTERM")
        func notificationsOverACall() async throws {
            let directory = try DaemonProcess.makeDirectory()
            let listener = try NotifyListener(path: directory.appendingPathComponent("notify.sock").path)
            defer { listener.stop() }
            let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
            defer { receiver.stop() }
            let daemon = try DaemonProcess(yaml: ServiceTests.callYAML(to: receiver), environment: Self.environment(listener),
                                           directory: directory)

            let ready = try await #require(listener.wait(for: "READY=1"), "no READY=1: \(daemon.log)")
            // READY=1 promises a serving socket: connecting right away must work.
            let client = try ControlClient(path: daemon.socketPath)
            #expect(ready.message.status != nil, "READY=1 should come with a STATUS= line")
            #expect(try await receiver.wait(forPackets: 5), "no media: \(daemon.log)")

            // Watchdog pings at half of WATCHDOG_USEC while the media thread runs.
            let watchStart = listener.received.count
            try await Task.sleep(for: .seconds(1.2))
            let pings = listener.received[watchStart...].filter { $0.has("WATCHDOG=1") }.map(\.at)
            #expect(pings.count >= 3, "only \(pings.count) WATCHDOG=1 in 1.2 s")
            let gaps = zip(pings.dropFirst(), pings).map { $0.timeIntervalSince($1) }
            #expect(gaps.allSatisfy { $0 > 0.05 && $0 < 0.4 }, "pings not about 200 ms apart: \(gaps)")

            // STATUS= follows the mute state.
            var mark = listener.received.count
            _ = try await client.result("mute")
            #expect(try await listener.wait(from: mark) { $0.status?.contains("muted") == true } != nil,
                    "no STATUS= saying muted: \(listener.received.compactMap(\.status))")
            mark = listener.received.count
            _ = try await client.result("unmute")
            #expect(try await listener.wait(from: mark) { ($0.status.map { $0.contains("live") && !$0.contains("muted") }) == true } != nil,
                    "no STATUS= saying live: \(listener.received.compactMap(\.status))")

            // SIGHUP: RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants), then READY=1.
            mark = listener.received.count
            daemon.send(SIGHUP)
            let reloading = try await #require(listener.wait(for: "RELOADING=1", from: mark), "no RELOADING=1")
            #expect(reloading.message.assignments.contains { $0.hasPrefix("MONOTONIC_USEC=") })
            #expect(try await listener.wait(for: "READY=1", from: reloading.index + 1) != nil, "no READY=1 after the reload")

            // SIGTERM: STOPPING=1, and a clean exit.
            mark = listener.received.count
            let stopped = daemon.stop(signal: SIGTERM)
            #expect(stopped.status == 0)
            #expect(try await listener.wait(for: "STOPPING=1", from: mark, timeout: 2) != nil, "no STOPPING=1")
            #expect(listener.received.filter { $0.has("READY=1") }.count == 2, "READY=1 once at start and once after the reload")
        }

        @Test("without a call the watchdog is fed too; WATCHDOG_PID naming another process turns the pings off")
        func idleWatchdog() async throws {
            let directory = try DaemonProcess.makeDirectory()
            let listener = try NotifyListener(path: directory.appendingPathComponent("notify.sock").path)
            defer { listener.stop() }
            let daemon = try await DaemonProcess.start(yaml: ServiceTests.idleYAML, environment: Self.environment(listener), directory: directory)
            #expect(try await listener.wait(for: "READY=1") != nil)
            #expect(try await listener.wait(from: 0, timeout: 5) { $0.has("WATCHDOG=1") } != nil)
            #expect(listener.received.first { $0.has("READY=1") }?.status?.contains("idle") == true)
            #expect(daemon.stop().status == 0)

            // WATCHDOG_PID naming another process: the variables are not ours; no pings.
            let other = directory.appendingPathComponent("other")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            let quiet = try NotifyListener(path: other.appendingPathComponent("n.sock").path)
            defer { quiet.stop() }
            let second = try await DaemonProcess.start(yaml: ServiceTests.idleYAML, environment: [
                "NOTIFY_SOCKET": quiet.path, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1",
            ], directory: other)
            #expect(try await quiet.wait(for: "READY=1") != nil)
            try await Task.sleep(for: .seconds(0.6))
            #expect(!quiet.received.contains { $0.has("WATCHDOG=1") }, "pinged a watchdog meant for pid 1")
            #expect(second.stop().status == 0)
        }

        /// The microphone is an ALSA PCM (the `file` plugin over `null`) whose input is a FIFO
        /// the test writes in real time. When the test stops writing, the media thread blocks
        /// inside `snd_pcm_readi` exactly as on a wedged sound card, with no hook in the daemon.
        @Test("a stalled media thread stops WATCHDOG=1 (so systemd restarts the service), pings resume when it runs again, and SIGTERM still exits within 1 s")
        func stalledMediaThread() async throws {
            let (directory, microphone) = try FIFOMicrophone.asALSADevice()
            defer { microphone.finish() }
            let listener = try NotifyListener(path: directory.appendingPathComponent("notify.sock").path)
            defer { listener.stop() }
            let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
            defer { receiver.stop() }
            var environment = Self.environment(listener)
            environment["HOME"] = directory.path
            environment["XDG_CONFIG_HOME"] = directory.path
            let yaml = ServiceTests.callYAML(to: receiver).replacingOccurrences(of: "tone:1000", with: "alsa:stallmic")
            let daemon = try await DaemonProcess.start(yaml: yaml, environment: environment, directory: directory)
            #expect(try await receiver.wait(forPackets: 10), "no media from the FIFO microphone: \(daemon.log)")
            #expect(try await listener.wait(from: 0, timeout: 5) { $0.has("WATCHDOG=1") } != nil)

            // Stall: the media thread now blocks in the capture read.
            microphone.pause()
            let stalledAt = Date()
            try await Task.sleep(for: .seconds(2.2))
            let packetsDuringStall = receiver.received.count
            // The liveness rule allows 1 s without a frame; after that, and one ping period, silence.
            let quietFrom = stalledAt.addingTimeInterval(1.4)
            let late = listener.received.filter { $0.has("WATCHDOG=1") && $0.at > quietFrom }
            #expect(late.isEmpty, "WATCHDOG=1 kept coming while the media thread was stuck: \(late.map { $0.at.timeIntervalSince(stalledAt) })")
            #expect(daemon.log.contains("media path stalled"), "\(daemon.log)")

            // Unstall: frames flow again and so do the pings.
            let mark = listener.received.count
            microphone.resume()
            #expect(try await listener.wait(for: "WATCHDOG=1", from: mark, timeout: 5) != nil, "pings did not resume")
            #expect(try await receiver.wait(forPackets: packetsDuringStall + 10), "media did not resume")
            #expect(try await eventually(timeout: .seconds(2)) { daemon.log.contains("alive again") }, "\(daemon.log)")

            // SIGTERM while the media thread is stuck: the daemon still exits promptly
            // instead of waiting for a device that may never return.
            microphone.pause()
            try await Task.sleep(for: .seconds(0.3))
            let stopped = daemon.stop(signal: SIGTERM)
            #expect(stopped.status == 0, "\(daemon.log)")
            #expect(stopped.seconds < 1.0, "took \(stopped.seconds) s to exit with a stuck device")
            #expect(daemon.log.contains("stuck in the audio device"), "\(daemon.log)")
        }
    }
}

/// Writes 20 ms of 48 kHz mono S16 audio to a FIFO every 20 ms until paused or finished.
final class FIFOMicrophone: @unchecked Sendable {
    /// A fresh test directory whose `.asoundrc` defines the ALSA PCM `stallmic` (the `file`
    /// plugin over `null`, reading this microphone's FIFO), for a daemon given it as `HOME`.
    /// When the test pauses the microphone, the media thread blocks inside `snd_pcm_readi`
    /// exactly as on a wedged sound card, with no hook in the daemon.
    static func asALSADevice() throws -> (directory: URL, microphone: FIFOMicrophone) {
        let directory = try DaemonProcess.makeDirectory()
        let fifo = directory.appendingPathComponent("mic.fifo").path
        guard mkfifo(fifo, 0o600) == 0 else { throw DaemonProcessError("mkfifo \(fifo) failed") }
        try """
            pcm.stallmic {
              type file
              slave.pcm null
              file "/dev/null"
              infile "\(fifo)"
              format raw
            }
            """.write(to: directory.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        return (directory, FIFOMicrophone(path: fifo))
    }

    private let lock = NSLock()
    private var paused = false
    private var done = false
    private let finished = DispatchSemaphore(value: 0)
    private let fd: Int32

    init(path: String) {
        // O_RDWR: opening never waits for the reader, and the FIFO never reports end of file;
        // O_NONBLOCK: a full FIFO (no reader any more) drops frames instead of hanging the test.
        fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        let thread = Thread { [unowned self] in self.loop() }
        thread.start()
    }

    private func loop() {
        // A 1 kHz tone at about -10 dBFS.
        let frame: [Int16] = (0..<960).map { Int16(10_000 * sin(2 * Double.pi * 1000 * Double($0) / 48_000)) }
        var next = Date()
        while true {
            let (stop, hold) = lock.withLock { (done, paused) }
            if stop { break }
            if !hold {
                _ = frame.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            }
            next = next.addingTimeInterval(0.02)
            let wait = next.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) } else { next = Date() }
        }
        finished.signal()
    }

    func pause() { lock.withLock { paused = true } }
    func resume() { lock.withLock { paused = false } }

    func finish() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { done = true }
            return !done
        }
        if wasRunning {
            finished.wait()
            close(fd)
        }
    }

    deinit { finish() }
}
