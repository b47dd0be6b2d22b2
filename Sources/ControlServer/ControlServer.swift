import ControlProtocol
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The control socket: JSON-RPC 2.0 over a Unix stream socket, one object per line (SPEC §4).
///
/// Run it in the daemon's `ServiceGroup`. It listens on ``ControlServerConfiguration/socketPath``
/// (creating the directory, replacing a stale file, refusing when another daemon answers) or on
/// an inherited, already-listening descriptor. Every connection's peer is checked with
/// `SO_PEERCRED`; a refused peer gets one error line (code 1003) and is disconnected.
/// On graceful shutdown it stops accepting, closes every connection and removes its socket file.
public final class ControlServer: Service, Sendable {
    private let configuration: ControlServerConfiguration
    private let handler: any ControlRequestHandler
    private let eventBus: EventBus
    private let logger: Logger
    private let group: any EventLoopGroup
    private let onReady: (@Sendable () -> Void)?

    private enum Readiness {
        case starting([CheckedContinuation<Void, any Error>])
        case ready
        case failed(any Error)
    }

    private let readiness = Mutex(Readiness.starting([]))
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let shuttingDown = Mutex(false)
    /// Connections accepted by NIO and not yet taken by the accept loop.
    private let unclaimed = Mutex<[ObjectIdentifier: NIOAsyncChannel<ControlFrame, ByteBuffer>]>([:])

    /// - Parameters:
    ///   - configuration: Where to listen and whom to let in.
    ///   - handler: Answers every method except `subscribe`.
    ///   - eventBus: The events `subscribe` delivers.
    ///   - logger: Connection and error logging (never request contents).
    ///   - eventLoopGroup: The NIO event loops to serve on.
    ///   - onReady: Called once the socket accepts connections (e.g. to send `READY=1`).
    public init(
        configuration: ControlServerConfiguration,
        handler: any ControlRequestHandler,
        eventBus: EventBus,
        logger: Logger = Logger(label: "softphoned.control"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onReady: (@Sendable () -> Void)? = nil
    ) {
        self.configuration = configuration
        self.handler = handler
        self.eventBus = eventBus
        self.logger = logger
        self.group = eventLoopGroup
        self.onReady = onReady
    }

    /// Returns once the socket accepts connections; throws the error that made ``run()`` fail.
    public func waitUntilReady() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result: Result<Void, any Error>? = readiness.withLock { state in
                switch state {
                case .starting(var waiters):
                    waiters.append(continuation)
                    state = .starting(waiters)
                    return nil
                case .ready:
                    return .success(())
                case .failed(let error):
                    return .failure(error)
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// The number of open client connections.
    public var connectionCount: Int {
        connections.withLock { $0.count }
    }

    public func run() async throws {
        var socketFile: SocketFile?
        do {
            let authorizer = try PeerAuthorizer(
                allowedUIDs: configuration.allowedUIDs, allowedGroup: configuration.allowedGroup)
            let serverChannel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>
            if let fd = configuration.inheritedFD {
                serverChannel = try await bootstrap().bind(fd, childChannelInitializer: childInitializer)
                logger.info("control socket inherited", metadata: ["fd": "\(fd)"])
            } else {
                guard let path = configuration.socketPath else {
                    throw ControlServerError.configuration("control server needs a socket path or an inherited descriptor")
                }
                var file = SocketFile(path: path)
                try file.prepare()
                let bindPath = file.temporaryPath() ?? path
                if bindPath != path { unlink(bindPath) }
                serverChannel = try await bootstrap().bind(
                    unixDomainSocketPath: bindPath, childChannelInitializer: childInitializer)
                do {
                    try file.adopt(boundPath: bindPath, mode: authorizer.allowedGID == nil ? 0o600 : 0o660, groupID: authorizer.allowedGID)
                } catch {
                    try? await serverChannel.channel.close()
                    unlink(bindPath)
                    throw error
                }
                socketFile = file
                logger.info("control socket listening", metadata: ["path": "\(path)"])
            }
            markReady(.success(()))
            try await serve(serverChannel, authorizer: authorizer)
        } catch {
            markReady(.failure(error))
            socketFile?.remove()
            throw error
        }
        socketFile?.remove()
    }

    // MARK: - Serving

    private func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            // A client that sends its last request and shuts down its writing side still gets the reply.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
    }

    private var childInitializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ControlFrame, ByteBuffer>> {
        let maxLineLength = configuration.maxLineLength
        return { [self] channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(maxLength: maxLineLength)))
                let connection = try NIOAsyncChannel<ControlFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                unclaimed.withLock { $0[ObjectIdentifier(channel)] = connection }
                return connection
            }
        }
    }

    /// Finishes connections NIO accepted but never handed to the accept loop because the
    /// listening socket closed in between (swift-nio #2813: NIO traps on their writers).
    private func finishUnclaimedConnections() async {
        for _ in 0..<3 {
            let leftovers = unclaimed.withLock { table in
                defer { table.removeAll() }
                return Array(table.values)
            }
            for connection in leftovers {
                try? await connection.executeThenClose { _, _ in }
            }
            // A child being initialised right now shows up a moment later.
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func serve(
        _ serverChannel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>,
        authorizer: PeerAuthorizer
    ) async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                // The accept loop runs in a task of its own that cancellation never reaches:
                // every connection NIO has accepted must be taken from `inbound` and finished,
                // or NIO traps on its unfinished writer (swift-nio #2813). Closing the server
                // channel ends `inbound` after the connections already accepted.
                let accepting = Task {
                    try await serverChannel.executeThenClose { inbound in
                        try await withThrowingDiscardingTaskGroup { group in
                            for try await connection in inbound {
                                group.addTask {
                                    await self.serve(connection, authorizer: authorizer)
                                }
                            }
                        }
                    }
                }
                let result = await accepting.result
                await finishUnclaimedConnections()
                try result.get()
            } onCancel: {
                self.closeAll(serverChannel.channel)
            }
        } onGracefulShutdown: {
            self.closeAll(serverChannel.channel)
        }
    }

    private func closeAll(_ serverChannel: any Channel) {
        shuttingDown.withLock { $0 = true }
        serverChannel.close(promise: nil)
        for channel in connections.withLock({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ControlFrame, ByteBuffer>, authorizer: PeerAuthorizer) async {
        let channel = connection.channel
        let key = ObjectIdentifier(channel)
        unclaimed.withLock { _ = $0.removeValue(forKey: key) }
        let limit = configuration.maxConnections
        let admitted = connections.withLock { table in
            guard table.count < limit else { return false }
            table[key] = channel
            return true
        }
        defer { if admitted { _ = connections.withLock { $0.removeValue(forKey: key) } } }
        do {
            // Inside executeThenClose, so that a connection that is already gone when its
            // credentials are read (a client that connects and closes at once, or shutdown)
            // still has its writer finished; NIO traps on an unfinished writer.
            try await connection.executeThenClose { inbound, outbound in
                // Accepted while shutting down: finish it without serving.
                guard !shuttingDown.withLock({ $0 }) else { return }
                // Beyond the cap: one error line and close, so a client stuck in a loop of
                // connects cannot exhaust descriptors or the event loops.
                guard admitted else {
                    logger.warning("control connection refused: too many connections", metadata: ["limit": "\(limit)"])
                    let refusal = JSONRPCResponse(id: .null, error: .serverBusy(
                        "too many control connections (limit \(limit)); close one and try again"))
                    try await outbound.write(ByteBuffer(bytes: try refusal.line()))
                    return
                }
                let peer = try await Self.peerCredentials(of: channel)
                guard authorizer.permits(peer) else {
                    logger.warning("control connection refused", metadata: ["peer": "\(peer)"])
                    let refusal = JSONRPCResponse(
                        id: .null, error: .notPermitted("uid \(peer.uid) is not permitted to use the control socket"))
                    try await outbound.write(ByteBuffer(bytes: try refusal.line()))
                    return
                }
                logger.debug("control connection", metadata: ["peer": "\(peer)"])
                let session = ControlConnection(
                    output: { try await outbound.write($0) }, handler: handler, bus: eventBus, peer: peer, logger: logger)
                try await session.run(inbound: inbound)
            }
        } catch {
            // A client that vanishes mid-request makes reads or writes fail; nothing to do but close.
            logger.debug("control connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func markReady(_ result: Result<Void, any Error>) {
        let waiters: [CheckedContinuation<Void, any Error>] = readiness.withLock { state in
            guard case .starting(let waiters) = state else { return [] }
            switch result {
            case .success: state = .ready
            case .failure(let error): state = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
        if case .success = result { onReady?() }
    }

    /// The kernel's record of who connected (`SO_PEERCRED`).
    static func peerCredentials(of channel: any Channel) async throws -> PeerCredentials {
        guard let provider = channel as? any SocketOptionProvider else {
            throw ControlServerError.configuration("connection does not expose socket options")
        }
        let credentials: KernelPeerCredentials = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).get()
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}

/// The layout of Linux's `struct ucred` (pid, uid, gid), which Glibc's module does not export
/// without `_GNU_SOURCE`.
struct KernelPeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
