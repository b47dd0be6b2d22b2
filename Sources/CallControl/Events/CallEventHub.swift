import Synchronization

/// The call core's events, delivered in one global order to every front end.
///
/// `publish` hands the event to every sink under one lock, so two front ends never see two
/// events in different orders, and the order is the order in which the owners (the call
/// actor, the mute owner under its lock, the mixer's thread) carried the changes out. Sinks
/// run under that lock: they must be short and must not call back into the call core.
public final class CallEventHub: Sendable {
    /// A registered sink; `cancel` it to stop receiving.
    public struct Token: Hashable, Sendable { fileprivate let id: UInt64 }

    private struct Sinks {
        var next: UInt64 = 0
        var byID: [(UInt64, @Sendable (CallControlEvent) -> Void)] = []
    }

    private let sinks = Mutex(Sinks())

    public init() {}

    /// Delivers `event` to every sink, in the one order.
    public func publish(_ event: CallControlEvent) {
        sinks.withLock { sinks in
            for (_, sink) in sinks.byID { sink(event) }
        }
    }

    /// Adds a sink called (synchronously, under the hub's lock) with every later event.
    @discardableResult
    public func addSink(_ sink: @escaping @Sendable (CallControlEvent) -> Void) -> Token {
        sinks.withLock { sinks in
            let id = sinks.next
            sinks.next += 1
            sinks.byID.append((id, sink))
            return Token(id: id)
        }
    }

    public func removeSink(_ token: Token) {
        sinks.withLock { $0.byID.removeAll { $0.0 == token.id } }
    }

    /// Every later event as an `AsyncSequence`, in the one order (buffered up to `limit`;
    /// a subscriber that falls further behind loses the oldest).
    public func subscribe(bufferingNewest limit: Int = 1024) -> AsyncStream<CallControlEvent> {
        let (stream, continuation) = AsyncStream<CallControlEvent>.makeStream(bufferingPolicy: .bufferingNewest(limit))
        let token = addSink { continuation.yield($0) }
        continuation.onTermination = { [weak self] _ in self?.removeSink(token) }
        return stream
    }
}
