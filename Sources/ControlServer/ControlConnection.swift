import ControlProtocol
import Logging
import NIOCore
import Synchronization

/// One accepted client: answers its requests in order and forwards its subscription's events.
final class ControlConnection: Sendable {
    /// Writes one line to the client (the channel's writer; a collector when no socket).
    private let output: @Sendable (ByteBuffer) async throws -> Void
    private let handler: any ControlRequestHandler
    private let bus: EventBus
    private let peer: PeerCredentials
    private let logger: Logger
    /// Subscriptions handed to the event pump once their `subscribe` reply is written.
    private let subscriptions: AsyncStream<EventSubscription>
    private let subscriptionsContinuation: AsyncStream<EventSubscription>.Continuation
    private let current = Mutex<EventSubscription?>(nil)

    init(
        output: @escaping @Sendable (ByteBuffer) async throws -> Void, handler: any ControlRequestHandler,
        bus: EventBus, peer: PeerCredentials, logger: Logger
    ) {
        self.output = output
        self.handler = handler
        self.bus = bus
        self.peer = peer
        self.logger = logger
        (subscriptions, subscriptionsContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Serves the connection until its input ends or a write fails.
    func run(inbound: NIOAsyncChannelInboundStream<ControlFrame>) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.pumpEvents() }
            defer {
                self.endSubscriptions()
                group.cancelAll()
            }
            for try await frame in inbound {
                try await handle(frame)
            }
        }
    }

    /// Writes the events of the current subscription, one subscription after another.
    ///
    /// A write waits while the client does not read; meanwhile events pile up in the bus's
    /// bounded queue for this subscriber, and the bus drops the subscription when it is full.
    /// Neither the daemon nor other clients wait for this.
    private func pumpEvents() async throws {
        for await subscription in subscriptions {
            for await event in subscription {
                try await write(try event.notificationLine())
                if event.type == .subscriptionLost {
                    logger.warning(
                        "control client dropped from events: reads too slowly",
                        metadata: ["peer": "\(peer)", "missedFrom": "\(event.seq)"])
                }
            }
        }
    }

    func endSubscriptions() {
        subscriptionsContinuation.finish()
        current.withLock { $0 }?.cancel()
    }

    func handle(_ frame: ControlFrame) async throws {
        switch frame {
        case .tooLong:
            try await reply(JSONRPCResponse(id: .null, error: .invalidRequest("request line longer than the limit; skipped up to the next newline")))
        case .line(let buffer):
            switch RequestParser.parse(buffer.readableBytesView) {
            case .ignore:
                return
            case .reject(let id, let error):
                try await reply(JSONRPCResponse(id: id, error: error))
            case .request(let request):
                try await handle(request)
            }
        }
    }

    private func handle(_ request: JSONRPCRequest) async throws {
        let outcome: Result<JSONValue, ControlError>
        var accepted: EventSubscription?
        if let method = ControlMethod(rawValue: request.method) {
            if method == .subscribe {
                outcome = Result { () throws(ControlError) -> JSONValue in
                    let (subscription, result) = try subscribe(request.params)
                    accepted = subscription
                    return result
                }
            } else {
                do {
                    outcome = .success(try await handler.handle(method: request.method, params: request.params, peer: peer))
                } catch {
                    outcome = .failure(error)
                }
            }
        } else {
            outcome = .failure(.methodNotFound(request.method))
        }
        if let id = request.id {
            try await reply(JSONRPCResponse(id: id, outcome: outcome))
        }
        // Handed to the pump only after the reply is written, so the reply comes first; events
        // published meanwhile wait in the subscription's queue.
        if let accepted {
            subscriptionsContinuation.yield(accepted)
        }
    }

    /// Starts (or replaces) this connection's subscription.
    private func subscribe(_ params: JSONValue?) throws(ControlError) -> (EventSubscription, JSONValue) {
        let requested = try ControlParams.decode(SubscribeParams.self, from: params)
        var filter: Set<ControlEventType>?
        if let names = requested.events {
            let unknown = names.filter { ControlEventType(rawValue: $0) == nil }
            guard unknown.isEmpty else {
                let known = ControlEventType.allCases.map(\.rawValue).joined(separator: ", ")
                throw ControlError.invalidParams("unknown event name(s): \(unknown.joined(separator: ", ")) (known: \(known))")
            }
            filter = Set(names.compactMap(ControlEventType.init(rawValue:)))
        }
        let names = ControlEventType.allCases.filter { type in
            type != .subscriptionLost && (filter?.contains(type) ?? true)
        }.map(\.rawValue)
        let result = try ControlParams.encode(SubscribeResult(subscribed: names))
        let subscription = bus.subscribe(events: filter)
        current.withLock { current in
            current?.cancel()
            current = subscription
        }
        return (subscription, result)
    }

    private func reply(_ response: JSONRPCResponse) async throws {
        try await write(try response.line())
    }

    private func write(_ line: some Sequence<UInt8>) async throws {
        try await output(ByteBuffer(bytes: line))
    }
}

extension JSONRPCResponse {
    init(id: JSONRPCID, outcome: Result<JSONValue, ControlError>) {
        switch outcome {
        case .success(let result): self.init(id: id, result: result)
        case .failure(let error): self.init(id: id, error: error)
        }
    }
}

extension ControlServer {
    /// Answers one request line exactly as a connection does (envelope checks, method
    /// lookup, `subscribe`, the handler), without a socket: what a client would read back.
    ///
    /// For driving the protocol core with arbitrary input; a subscription it opens is
    /// cancelled before it returns.
    public static func respond(
        toLine line: some Collection<UInt8>, handler: any ControlRequestHandler, bus: EventBus, peer: PeerCredentials
    ) async -> [UInt8] {
        let written = Mutex<[UInt8]>([])
        let connection = ControlConnection(
            output: { buffer in written.withLock { $0 += buffer.readableBytesView } },
            handler: handler, bus: bus, peer: peer, logger: Logger(label: "softphoned.control", factory: { _ in SwiftLogNoOpLogHandler() }))
        try? await connection.handle(.line(ByteBuffer(bytes: line)))
        connection.endSubscriptions()
        return written.withLock { $0 }
    }
}
