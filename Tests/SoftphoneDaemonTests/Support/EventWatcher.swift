import DaemonTestSupport
import Foundation

/// A subscriber of the control socket's events that reads in a task of its own, so a test can
/// wait for an event with a deadline while it talks to the daemon on another connection.
final class EventWatcher: Sendable {
    /// The events read so far, shared with the reading task.
    private final class Store: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [[String: Any]] = []
        func append(_ event: [String: Any]) { lock.withLock { events.append(event) } }
        var all: [[String: Any]] { lock.withLock { events } }
    }

    private let store = Store()
    private let reader: Task<Void, Never>

    /// Connects and subscribes (to every event unless `events` names some).
    init(path: String, events: [String]? = nil) async throws {
        let client = try ControlClient(path: path)
        let reply = try await client.call("subscribe", events.map { ["events": $0] })
        guard reply["result"] != nil else { throw DaemonProcessError("subscribe failed: \(reply)") }
        let store = self.store
        // Events that came with the reply are kept by the client and read first.
        reader = Task {
            let wait = Duration.milliseconds(200)
            while !Task.isCancelled {
                let start = ContinuousClock.now
                if let event = try? await client.nextEvent(timeout: wait) {
                    store.append(event)
                } else if ContinuousClock.now - start < wait / 2, !Task.isCancelled {
                    // No event well before the timeout: the daemon closed the connection.
                    return
                }
            }
        }
    }

    /// Every event so far, oldest first.
    var events: [[String: Any]] { store.all }

    /// The types of every event so far.
    var types: [String] { events.compactMap { $0["type"] as? String } }

    /// Waits for the first event of `type` (counting those already seen after `index`).
    /// - Returns: the event's params, or nil at the timeout.
    func wait(for type: String, after index: Int = 0, timeout: Double = 10) async throws -> [String: Any]? {
        var match: [String: Any]?
        _ = try await eventually(timeout: .seconds(timeout)) {
            let all = events
            guard index < all.count else { return false }
            match = all[index...].first { $0["type"] as? String == type }
            return match != nil
        }
        return match
    }

    /// Stops reading (the connection closes when the task ends).
    func stop() { reader.cancel() }

    deinit { reader.cancel() }
}

/// Reading numbers and objects out of JSON decoded by `JSONSerialization`.
enum CallJSON {
    static func number(_ object: [String: Any]?, _ key: String) -> Double? { (object?[key] as? NSNumber)?.doubleValue }
    static func object(_ object: [String: Any]?, _ key: String) -> [String: Any]? { object?[key] as? [String: Any] }
}
