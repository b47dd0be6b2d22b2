import ControlProtocol
import Foundation
import Synchronization

/// Fans events out to subscribers in one global order.
///
/// `publish` assigns the next `seq` (+1 per event over the daemon's life) and the time, and
/// appends the event to every matching subscriber's bounded queue, all under one short lock:
/// it never awaits and never waits for a subscriber. A subscriber whose queue is full is
/// dropped: it keeps the events already queued, then receives a final `subscriptionLost`
/// event (which takes no place in the global order: its `seq` is that of the first event
/// it missed), and its sequence ends.
public final class EventBus: Sendable {
    /// Per-subscriber queue length before the subscriber is dropped.
    public let capacity: Int

    private struct Subscriber {
        var filter: Set<ControlEventType>?
        var queue: [ControlEvent] = []
        var waiter: CheckedContinuation<ControlEvent?, Never>?
        /// Dropped for overflow: no new events; ends once the queue is drained.
        var lost = false
    }

    private struct State {
        var lastSeq: UInt64 = 0
        var nextID: UInt64 = 0
        var subscribers: [UInt64: Subscriber] = [:]
    }

    private let state = Mutex(State())

    /// - Parameter capacity: Events buffered per subscriber before it is dropped (at least 1).
    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    /// Publishes an event to every subscriber whose filter matches.
    ///
    /// - Parameters:
    ///   - type: The event type.
    ///   - fields: The event's own members (`muted`, `source`, `reason`...); `type`, `seq` and `at` are set here.
    /// - Returns: The event as delivered, with its `seq` and `at`.
    @discardableResult
    public func publish(type: ControlEventType, fields: [String: JSONValue] = [:]) -> ControlEvent {
        var wake: [(CheckedContinuation<ControlEvent?, Never>, ControlEvent)] = []
        let event = state.withLock { state in
            state.lastSeq += 1
            let event = ControlEvent(
                type: type, seq: state.lastSeq, at: ControlTimestamp.format(Date()), fields: fields)
            for (id, var subscriber) in state.subscribers where !subscriber.lost {
                if let filter = subscriber.filter, !filter.contains(type) { continue }
                var delivered = event
                if subscriber.queue.count >= capacity {
                    subscriber.lost = true
                    delivered = ControlEvent(
                        type: .subscriptionLost, seq: event.seq, at: event.at,
                        fields: [
                            "reason": .string("client too slow: \(capacity) events were waiting to be read"),
                            "missedFrom": .number(Double(event.seq)),
                        ])
                }
                if let waiter = subscriber.waiter {
                    subscriber.waiter = nil
                    wake.append((waiter, delivered))
                } else {
                    subscriber.queue.append(delivered)
                }
                state.subscribers[id] = subscriber
            }
            return event
        }
        for (waiter, event) in wake {
            waiter.resume(returning: event)
        }
        return event
    }

    /// Starts a subscription.
    ///
    /// - Parameter events: The event types to receive; `nil` for all. `subscriptionLost` is always delivered.
    public func subscribe(events: Set<ControlEventType>? = nil) -> EventSubscription {
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(filter: events)
            return state.nextID
        }
        return EventSubscription(bus: self, id: id)
    }

    /// The `seq` of the last event published (0 before the first).
    public var lastSeq: UInt64 {
        state.withLock { $0.lastSeq }
    }

    /// Live subscriptions (not yet dropped or cancelled).
    public var subscriberCount: Int {
        state.withLock { $0.subscribers.values.count(where: { !$0.lost }) }
    }

    // MARK: - Used by EventSubscription

    func next(_ id: UInt64) async -> ControlEvent? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ControlEvent?, Never>) in
                let immediate: ControlEvent?? = state.withLock { state in
                    guard var subscriber = state.subscribers[id] else { return .some(nil) }
                    if !subscriber.queue.isEmpty {
                        let event = subscriber.queue.removeFirst()
                        state.subscribers[id] = subscriber
                        return .some(event)
                    }
                    if subscriber.lost || Task.isCancelled {
                        state.subscribers[id] = nil
                        return .some(nil)
                    }
                    subscriber.waiter = continuation
                    state.subscribers[id] = subscriber
                    return .none
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                }
            }
        } onCancel: {
            cancel(id)
        }
    }

    func cancel(_ id: UInt64) {
        let waiter = state.withLock { state in
            state.subscribers.removeValue(forKey: id)?.waiter
        }
        waiter?.resume(returning: nil)
    }
}
