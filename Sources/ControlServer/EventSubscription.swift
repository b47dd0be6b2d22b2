import ControlProtocol

/// The events of one subscriber, in the bus's global order.
///
/// The sequence ends after a `subscriptionLost` event (the subscriber was too slow), after
/// ``cancel()``, or when the iterating task is cancelled. Iterate it from one task only.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = ControlEvent

    private let bus: EventBus
    let id: UInt64

    init(bus: EventBus, id: UInt64) {
        self.bus = bus
        self.id = id
    }

    deinit {
        bus.cancel(id)
    }

    /// Ends the subscription; queued events are discarded and a waiting iterator returns `nil`.
    public func cancel() {
        bus.cancel(id)
    }

    /// The next event, or `nil` once the subscription has ended.
    public func next() async -> ControlEvent? {
        await bus.next(id)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: EventSubscription

        public mutating func next() async -> ControlEvent? {
            await subscription.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscription: self)
    }
}
