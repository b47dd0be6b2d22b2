import Foundation
import Logging

/// Keeps one notification channel subscribed to `v2.users.{userId}.conversations` and one
/// WebSocket connected to it (SPEC §5b, GENESYS.md §7):
///
/// * the channel is reused across reconnects (`HEAD` tells whether it still exists), and a
///   new one is made only when it is gone or within ``GenesysSettings/channelRenewMargin``
///   of `expires`;
/// * on `v2.system.socket_closing` and on renewal the new socket is connected before the
///   old one is closed, so no event falls in a gap;
/// * failures back off with full jitter.
///
/// It reports through `emit`: the channel's state, and every conversation snapshot.
final class NotificationChannelManager: Sendable {
    private let api: GenesysAPIClient
    private let settings: GenesysSettings
    private let policy: RetryPolicy
    private let topic: String
    private let logger: Logger
    private let emit: @Sendable (GenesysInput) -> Void
    /// Cuts a wait for a usable token short (a new token was handed over, or a login completed).
    let wake = WakeSignal()

    init(api: GenesysAPIClient, settings: GenesysSettings, policy: RetryPolicy, userID: String, logger: Logger,
         emit: @escaping @Sendable (GenesysInput) -> Void) {
        self.api = api
        self.settings = settings
        self.policy = policy
        self.topic = "v2.users.\(userID).conversations"
        self.logger = logger
        self.emit = emit
    }

    private enum End {
        case closed(String)
        case closing
        case renew
    }

    func run() async {
        var channel: GenesysAPIClient.Channel?
        var previous: NotificationSocket?
        var attempt = 0
        var number = 0
        defer { previous?.cancel() }
        while !Task.isCancelled {
            do {
                if let current = channel, Date().addingTimeInterval(Self.seconds(self.settings.channelRenewMargin)) >= current.expires {
                    channel = nil
                }
                if channel == nil {
                    self.emit(.channel(.reconnecting, channelID: nil, error: nil))
                    let created = try await self.api.createChannel()
                    try await self.api.subscribe(channelID: created.id, topics: [self.topic])
                    self.logger.info("notification channel created", metadata: ["channel": "\(created.id)", "expires": "\(created.expires)"])
                    channel = created
                }
                guard let current = channel else { continue }
                number += 1
                let socket = NotificationSocket(number: number)
                let emit = self.emit
                socket.start(url: current.connectURI, silence: self.settings.socketSilence, pongTimeout: self.settings.pongTimeout,
                             logger: self.logger) { text in
                    if let input = Self.parse(text) { emit(input) }
                }
                let replaced = previous
                let connected = self.emit
                let renewAt = current.expires.addingTimeInterval(-Self.seconds(self.settings.channelRenewMargin))
                let (opened, end) = await Self.watch(socket.events, renewAt: renewAt) {
                    // The new socket is up: only now let the old one go.
                    replaced?.close()
                    connected(.channel(.connected, channelID: current.id, error: nil))
                }
                if opened {
                    previous = nil
                    attempt = 0
                } else if case .closed(let reason) = end {
                    throw SignalingError.transport("notification socket did not open: \(reason)")
                }
                switch end {
                case .closing:
                    self.logger.info("platform announced socket_closing; connecting a new socket first")
                    previous = socket
                case .renew:
                    self.logger.info("renewing the notification channel before it expires")
                    previous = socket
                    channel = nil
                case .closed(let reason):
                    socket.cancel()
                    self.logger.info("notification socket closed; reconnecting", metadata: ["reason": "\(reason)"])
                    self.emit(.channel(.reconnecting, channelID: current.id, error: reason))
                    if try await !self.api.channelExists(current.id) {
                        self.logger.info("notification channel is gone; making a new one", metadata: ["channel": "\(current.id)"])
                        channel = nil
                    }
                }
            } catch is CancellationError {
                break
            } catch {
                let failure = (error as? SignalingError) ?? SignalingError.transport("notifications: \(error)")
                if failure.isSessionGone { channel = nil }
                let delay = failure.isUnauthorized ? self.policy.max : self.policy.delay(attempt: attempt, after: failure)
                attempt += 1
                self.logger.warning("notification channel failed; retrying", metadata: ["error": "\(failure)", "retryIn": "\(delay)"])
                self.emit(.channel(.down, channelID: channel?.id, error: failure.description))
                await self.wake.wait(until: .now + delay)
                if Task.isCancelled { break }
            }
        }
    }

    /// Follows a socket until it closes, the platform announces `socket_closing`, or the
    /// channel is due for renewal; `onOpened` runs when it opens.
    /// - Returns: whether it opened, and how it ended.
    private static func watch(_ events: AsyncStream<NotificationSocket.Lifecycle>, renewAt: Date,
                              onOpened: @escaping @Sendable () -> Void) async -> (Bool, End) {
        let opened = OpenedFlag()
        return await withTaskGroup(of: (Bool, End)?.self) { group in
            group.addTask {
                for await event in events {
                    switch event {
                    case .opened:
                        opened.set()
                        onOpened()
                    case .closing:
                        return (true, .closing)
                    case .closed(let reason):
                        return (opened.value, .closed(reason))
                    }
                }
                return (opened.value, .closed("closed"))
            }
            group.addTask {
                let wait = max(0, min(renewAt.timeIntervalSinceNow, 86_400 * 7))
                do { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) } catch { return nil }
                return opened.value ? (true, .renew) : nil
            }
            var result: (Bool, End) = (opened.value, .closed("closed"))
            while let next = await group.next() {
                if let next {
                    result = next
                    break
                }
            }
            group.cancelAll()
            return result
        }
    }

    /// What a WebSocket message means for the engine: a conversation snapshot on our topic;
    /// heartbeats, pongs and system messages are handled by the socket itself.
    static func parse(_ text: String) -> GenesysInput? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let topic = object["topicName"] as? String, topic.hasPrefix("v2.users."), topic.hasSuffix(".conversations"),
            let body = object["eventBody"] as? [String: Any],
            let snapshot = try? ConversationSnapshot.parse(body, label: "notification")
        else { return nil }
        return .snapshot(snapshot, origin: .event, observedAt: .now)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

import Synchronization

/// Whether a socket has opened, shared between the tasks that watch it.
private final class OpenedFlag: Sendable {
    private let flag = Mutex(false)

    func set() { self.flag.withLock { $0 = true } }

    var value: Bool { self.flag.withLock { $0 } }
}
