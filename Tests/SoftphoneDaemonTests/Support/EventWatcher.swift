import DaemonTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A subscriber of the control socket's events that reads on its own thread, so a test can
/// wait for an event with a deadline while it talks to the daemon on another connection.
final class EventWatcher: @unchecked Sendable {
    private let client: ControlClient
    private let lock = NSLock()
    private var collected: [[String: Any]] = []
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    /// Connects and subscribes (to every event unless `events` names some).
    init(path: String, events: [String]? = nil) throws {
        client = try ControlClient(path: path)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let reply = try client.call("subscribe", events.map { ["events": $0] })
        guard reply["result"] != nil else { throw DaemonProcessError("subscribe failed: \(reply)") }
        let early = client.notifications.compactMap { $0["params"] as? [String: Any] }
        collected.append(contentsOf: early)
        let thread = Thread { [unowned self] in self.loop() }
        thread.start()
    }

    private func loop() {
        while lock.withLock({ running }) {
            guard let message = client.readLine() else { continue }
            if message["method"] as? String == "event", let params = message["params"] as? [String: Any] {
                lock.withLock { collected.append(params) }
            }
        }
        finished.signal()
    }

    /// Every event so far, oldest first.
    var events: [[String: Any]] { lock.withLock { collected } }

    /// The types of every event so far.
    var types: [String] { events.compactMap { $0["type"] as? String } }

    /// Waits for the first event of `type` (counting those already seen after `index`).
    /// - Returns: the event's params, or nil at the timeout.
    func wait(for type: String, after index: Int = 0, timeout: Double = 10) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            let all = events
            if index < all.count, let match = all[index...].first(where: { $0["type"] as? String == type }) { return match }
            Thread.sleep(forTimeInterval: 0.01)
        } while Date() < deadline
        return nil
    }

    func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { running = false }
            return running
        }
        if wasRunning { finished.wait() }
    }

    deinit { stop() }
}

/// Reading numbers and objects out of JSON decoded by `JSONSerialization`.
enum CallJSON {
    static func number(_ object: [String: Any]?, _ key: String) -> Double? { (object?[key] as? NSNumber)?.doubleValue }
    static func object(_ object: [String: Any]?, _ key: String) -> [String: Any]? { object?[key] as? [String: Any] }
}
