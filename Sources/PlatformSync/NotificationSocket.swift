import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization
import WSClient

/// One WebSocket to a notification channel's `connectUri`, with the platform's
/// application-level health check (SPEC §5b): a message of any kind — heartbeat, pong,
/// event — proves the socket alive; after ``GenesysSettings/socketSilence`` without one it
/// sends `{"message":"ping"}`, and with no answer within ``GenesysSettings/pongTimeout``
/// it gives the socket up as half-dead.
final class NotificationSocket: Sendable {
    /// What happened to the socket.
    enum Lifecycle: Sendable, Equatable {
        case opened
        /// `v2.system.socket_closing`: the platform will close it soon.
        case closing
        /// It is gone (closed by either side, failed to connect, or found dead).
        case closed(String)
    }

    let number: Int
    private let writer = Mutex<WebSocketOutboundWriter?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let lifecycle: AsyncStream<Lifecycle>
    private let lifecycleContinuation: AsyncStream<Lifecycle>.Continuation

    init(number: Int) {
        self.number = number
        (self.lifecycle, self.lifecycleContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Its lifecycle, in order; ends after `.closed`.
    var events: AsyncStream<Lifecycle> { self.lifecycle }

    /// Connects and serves the socket in the background.
    /// - Parameter onMessage: every text message, in arrival order.
    func start(url: String, silence: Duration, pongTimeout: Duration, logger: Logger,
               onMessage: @escaping @Sendable (String) -> Void) {
        let lifecycle = self.lifecycleContinuation
        let task = Task {
            var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20, closeTimeout: .seconds(1))
            configuration.ignoreUncleanSSLShutdownErrors = true
            do {
                let frame = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    self.writer.withLock { $0 = outbound }
                    lifecycle.yield(.opened)
                    let heard = LastHeard()
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask {
                            do {
                                for try await message in inbound.messages(maxSize: 1 << 20) {
                                    heard.touch()
                                    guard case .text(let text) = message else { continue }
                                    if text.contains("v2.system.socket_closing") { lifecycle.yield(.closing) }
                                    onMessage(text)
                                }
                            } catch {}
                        }
                        group.addTask {
                            // The health check: ping after silence, give up without an answer.
                            while !Task.isCancelled {
                                let last = heard.value
                                if ContinuousClock.now < last + silence {
                                    try? await Task.sleep(until: last + silence, clock: .continuous)
                                    continue
                                }
                                let pingAt = ContinuousClock.now
                                do { try await outbound.writeTextMessage(#"{"message":"ping"}"#) } catch { return }
                                try? await Task.sleep(for: pongTimeout)
                                if Task.isCancelled { return }
                                if heard.value < pingAt {
                                    logger.info("notification socket silent; replacing it", metadata: ["socket": "\(self.number)"])
                                    lifecycle.yield(.closed("no heartbeat or pong for \(silence + pongTimeout)"))
                                    return
                                }
                            }
                        }
                        await group.next()
                        group.cancelAll()
                    }
                }
                lifecycle.yield(.closed(frame.map { "closed by the platform (\($0.closeCode))" } ?? "closed"))
            } catch {
                lifecycle.yield(.closed("WebSocket failed: \(error)"))
            }
            self.writer.withLock { $0 = nil }
            lifecycle.finish()
        }
        self.task.withLock { $0 = task }
    }

    /// Closes the socket (a normal close) and stops its health check.
    func close() {
        let writer = self.writer.withLock { $0 }
        let task = self.task.withLock { $0 }
        Task {
            try? await writer?.close(.normalClosure, reason: "replaced")
            try? await Task.sleep(for: .seconds(1))
            task?.cancel()
        }
    }

    /// Stops at once (shutdown).
    func cancel() {
        self.task.withLock { $0?.cancel() }
    }
}

/// When the socket last heard anything.
private final class LastHeard: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    func touch() { self.instant.withLock { $0 = .now } }

    var value: ContinuousClock.Instant { self.instant.withLock { $0 } }
}
