import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Keeps the platform's view of the agent's mute state in step with the daemon's, and
/// tells the daemon when someone else (a supervisor) changes it.
///
/// The daemon drives it with non-blocking calls from any thread —
/// ``callStarted(sessionID:conversationID:participantID:)``, ``callEnded()``, ``setDesiredState(muted:)`` — and
/// learns about the platform through ``onRemoteChange`` and ``onStatusChange``. All
/// network work happens inside ``run()``, one request at a time per call: find the
/// session, read it, PATCH the latest desired state when it differs, read it back, and
/// poll. Only the latest desired state is ever sent, so a burst of toggles costs at most
/// one PATCH in flight and one to follow.
///
/// Failures follow the retry policy of SPEC §5: `Retry-After` on 429, exponential backoff
/// with full jitter for 5xx, timeouts and refused connections, rediscovery on 404, and
/// no retry on 403 or 400 until the daemon asks for a new state or a new call starts.
public final class PlatformSyncService: Service, Sendable {
    /// Receives a mute state the platform reports that the daemon did not set.
    public typealias RemoteChangeHandler = @Sendable (_ muted: Bool) -> Void
    /// Receives every change of ``status`` (apart from the sync time alone).
    public typealias StatusHandler = @Sendable (SignalingStatus) -> Void

    struct CallRequest: Sendable, Equatable {
        var generation: UInt64
        var sessionID: String?
        /// `genesys`: the conversation and participant, when the caller knows them.
        var conversationID: String?
        var participantID: String?
    }

    private struct Shared: Sendable {
        var desired: Bool
        var call: CallRequest?
        var nextGeneration: UInt64 = 1
        var status: SignalingStatus
    }

    private enum Operation {
        case discover
        case read
        case patch(Bool)
    }

    private let configuration: PlatformSyncConfiguration
    private let currentPollInterval: Mutex<Duration>
    private let logger: Logger
    private let onRemoteChange: RemoteChangeHandler
    private let onStatusChange: StatusHandler
    private let profileOverride: (any SignalingProfile)?
    private let shared: Mutex<Shared>
    private let wake = WakeSignal()
    private let commands: AsyncStream<Void>
    private let commandContinuation: AsyncStream<Void>.Continuation
    private let policy: RetryPolicy
    private let genesys = Mutex<GenesysSignaling?>(nil)
    let tokenHandOff = TokenHandOff()
    private let login = Mutex<GenesysLogin?>(nil)
    private let loginContext = Mutex<(settings: GenesysSettings, tokens: GenesysTokenSource)?>(nil)

    /// - Parameters:
    ///   - configuration: the platform and timing settings; `.none` makes the service idle.
    ///   - initialMuted: the desired state before the daemon says otherwise.
    ///   - profile: a platform implementation to use instead of the one the configuration
    ///     names (the seam for further profiles); `nil` builds the `sessions` client.
    ///   - logger: where signaling logs (never secrets or tokens).
    ///   - onRemoteChange: called when the platform reports a state the daemon did not set.
    ///   - onStatusChange: called when ``status`` changes.
    public init(
        configuration: PlatformSyncConfiguration,
        initialMuted: Bool = false,
        profile: (any SignalingProfile)? = nil,
        logger: Logger = Logger(label: "softphoned.signaling"),
        onRemoteChange: @escaping RemoteChangeHandler = { _ in },
        onStatusChange: @escaping StatusHandler = { _ in }
    ) {
        self.configuration = configuration
        self.currentPollInterval = Mutex(configuration.pollInterval)
        self.logger = logger
        self.onRemoteChange = onRemoteChange
        self.onStatusChange = onStatusChange
        self.profileOverride = profile
        let enabled = configuration.profile != .none || profile != nil
        var initial = SignalingStatus(state: enabled ? .idle : .off)
        if enabled { initial.profile = profile == nil ? configuration.profile : .sessions }
        self.shared = Mutex(Shared(desired: initialMuted, status: initial))
        (self.commands, self.commandContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.policy = RetryPolicy(base: configuration.backoffBase, max: configuration.backoffMax)
    }

    // MARK: - Daemon-facing API (non-blocking, any thread)

    /// Changes how often the platform is read during a call (SIGHUP reload); takes effect
    /// from the next poll.
    public func setPollInterval(_ interval: Duration) {
        currentPollInterval.withLock { $0 = interval }
    }

    var pollInterval: Duration { currentPollInterval.withLock { $0 } }

    /// The current signaling state.
    public var status: SignalingStatus {
        self.shared.withLock { $0.status }
    }

    /// The mute state the service wants the platform to have.
    public var desiredMuted: Bool {
        self.shared.withLock { $0.desired }
    }

    /// A call has started: find its platform session (or use `sessionID`) and sync.
    /// - Parameters:
    ///   - sessionID: the platform session, when the caller knows it; skips discovery.
    ///   - conversationID, participantID: `genesys`: the call's conversation and this agent's
    ///     participant, when the caller knows them (skips discovery).
    public func callStarted(sessionID: String? = nil, conversationID: String? = nil, participantID: String? = nil) {
        self.shared.withLock { shared in
            shared.call = CallRequest(generation: shared.nextGeneration, sessionID: sessionID,
                                      conversationID: conversationID ?? (self.configuration.profile == .genesys ? sessionID : nil),
                                      participantID: participantID)
            shared.nextGeneration += 1
        }
        self.commandContinuation.yield()
        self.pokeGenesys()
    }

    /// The call has ended: stop polling and forget the session.
    public func callEnded() {
        self.shared.withLock { $0.call = nil }
        self.commandContinuation.yield()
        self.pokeGenesys()
    }

    /// Records the agent's desired state; the latest one is sent when possible.
    public func setDesiredState(muted: Bool) {
        self.shared.withLock { $0.desired = muted }
        // The platform no longer holds the desired state: say so now, not only when the
        // request in flight (perhaps a poll held up by a hanging API) comes back.
        self.updateStatus { if $0.state == .synced && $0.platformMuted != muted { $0.state = .pending } }
        self.wake.signal()
        self.pokeGenesys()
    }

    /// `genesys`, grant `user-token`: the agent desktop's token (`auth.setToken`).
    ///
    /// - Returns: when it expires.
    /// - Throws: ``SignalingError`` when the profile does not take a handed-over token.
    @discardableResult
    public func setToken(_ token: Secret, expiresIn: Duration?) throws -> Date? {
        guard self.configuration.profile == .genesys, self.configuration.genesys?.grant == .userToken else {
            throw SignalingError.configuration("auth.setToken needs api.profile genesys with api.grant user-token")
        }
        guard !token.isEmpty, token.revealed.allSatisfy({ !$0.isWhitespace }) else {
            throw SignalingError.configuration("accessToken must be a non-empty token without spaces")
        }
        if let expiresIn, expiresIn <= .zero { throw SignalingError.configuration("expiresIn must be positive") }
        self.tokenHandOff.set(token, expiresIn: expiresIn)
        self.logger.info("user token handed over", metadata: ["expiresIn": "\(expiresIn.map { "\($0)" } ?? "unknown")"])
        self.pokeGenesys()
        return expiresIn.map { Date().addingTimeInterval(Double($0.components.seconds)) }
    }

    /// Where `softphonectl login` sends the agent, and the loopback redirect that receives the code.
    public struct LoginStart: Sendable {
        public var url: String
        public var redirectURI: String
    }

    /// `genesys`, grant `pkce`: starts the login (a loopback listener for the redirect).
    /// - Throws: ``SignalingError`` when the profile does not log in this way or is not running.
    public func beginLogin() async throws -> LoginStart {
        guard self.configuration.profile == .genesys, self.configuration.genesys?.grant == .pkce else {
            throw SignalingError.configuration("login needs api.profile genesys with api.grant pkce")
        }
        guard let context = self.loginContext.withLock({ $0 }) else {
            throw SignalingError.configuration("signaling is not running yet")
        }
        let login = try await GenesysLogin.begin(settings: context.settings, clientID: self.configuration.clientID,
                                                 tokens: context.tokens, logger: self.logger)
        let previous = self.login.withLock { slot -> GenesysLogin? in
            defer { slot = login }
            return slot
        }
        previous?.cancel()
        return LoginStart(url: login.authorizeURL, redirectURI: login.redirectURI)
    }

    /// Waits for the login begun by ``beginLogin()``; on success signaling starts with the new tokens.
    public func waitForLogin(timeout: Duration) async -> Result<Void, SignalingError> {
        guard let login = self.login.withLock({ $0 }) else {
            return .failure(.configuration("no login in progress: call auth.login first"))
        }
        let result = await login.wait(timeout: timeout)
        if case .success = result { self.pokeGenesys() }
        return result
    }

    private func pokeGenesys() {
        self.genesys.withLock { $0 }?.poke()
    }

    // MARK: - Engine-facing (genesys)

    var currentCall: CallRequest? { self.shared.withLock { $0.call } }

    /// A remote change: the desired state follows it, then the daemon hears of it.
    func applyRemote(_ muted: Bool) {
        let changed = self.shared.withLock { shared -> Bool in
            guard shared.desired != muted else { return false }
            shared.desired = muted
            return true
        }
        if changed { self.onRemoteChange(muted) }
    }

    func touchSync() {
        self.updateStatus { $0.lastSyncAt = Date() }
    }

    // MARK: - Service

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        if self.configuration.profile == .none && self.profileOverride == nil {
            self.updateStatus { $0 = SignalingStatus(state: .off) }
            try? await gracefulShutdown()
            return
        }
        if self.configuration.profile == .genesys && self.profileOverride == nil {
            try await self.runGenesys()
            return
        }
        var httpClient: HTTPClient?
        let profile: any SignalingProfile
        if let profileOverride {
            profile = profileOverride
        } else {
            try self.configuration.validate()
            let timeout = TimeAmount(self.configuration.requestTimeout)
            var clientConfiguration = HTTPClient.Configuration()
            clientConfiguration.timeout = .init(connect: timeout, read: timeout)
            clientConfiguration.redirectConfiguration = .disallow
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            httpClient = client
            profile = SessionsAPIClient(configuration: self.configuration, httpClient: client, logger: self.logger)
        }
        self.logger.info(
            "signaling started",
            metadata: ["profile": "\(self.configuration.profile)", "base": "\(self.configuration.baseURL)"]
        )

        var worker: (generation: UInt64, task: Task<Void, Never>)?
        await withGracefulShutdownHandler {
            for await _ in self.commands {
                let call = self.shared.withLock { $0.call }
                guard call?.generation != worker?.generation else { continue }
                if let current = worker {
                    current.task.cancel()
                    await current.task.value
                    worker = nil
                    self.updateStatus { $0 = SignalingStatus(state: .idle, lastSyncAt: $0.lastSyncAt, profile: .sessions) }
                }
                if let call {
                    worker = (call.generation, Task { await self.runCall(call, profile: profile) })
                }
            }
        } onGracefulShutdown: {
            self.commandContinuation.finish()
        }
        if let current = worker {
            current.task.cancel()
            await current.task.value
        }
        try? await httpClient?.shutdown()
        self.updateStatus { $0 = SignalingStatus(state: .off) }
        self.logger.info("signaling stopped")
    }

    // MARK: - One call

    private func runCall(_ call: CallRequest, profile: any SignalingProfile) async {
        var sessionID = call.sessionID
        var known: Bool?
        var attempt = 0
        var patchRefusedFor: Bool?
        var operation = Operation.discover
        var nextPoll = ContinuousClock.now
        self.updateStatus { $0 = SignalingStatus(state: .pending, sessionID: sessionID, profile: .sessions) }
        self.logger.info("call started", metadata: ["session": "\(sessionID ?? "-")"])

        while !Task.isCancelled {
            do {
                guard let id = sessionID else {
                    operation = .discover
                    if let found = try await profile.findSession() {
                        sessionID = found
                        known = nil
                        attempt = 0
                        self.logger.info("found session", metadata: ["session": "\(found)"])
                        self.updateStatus { $0.sessionID = found }
                    } else {
                        self.updateStatus { $0.state = .pending; $0.sessionID = nil; $0.lastError = nil }
                        try await Task.sleep(for: self.policy.delay(attempt: attempt))
                        attempt += 1
                    }
                    continue
                }

                if known == nil {
                    operation = .read
                    let value = try await profile.readMuted(sessionID: id)
                    known = value
                    nextPoll = ContinuousClock.now + self.pollInterval
                    self.updateStatus { $0.platformMuted = value; $0.lastSyncAt = Date() }
                }

                let desired = self.shared.withLock { $0.desired }
                if desired != known && desired != patchRefusedFor {
                    operation = .patch(desired)
                    self.updateStatus { $0.state = .pending }
                    try await profile.setMuted(desired, sessionID: id)
                    known = desired
                    patchRefusedFor = nil
                    attempt = 0
                    self.logger.debug("state sent", metadata: ["session": "\(id)", "muted": "\(desired)"])
                    self.updateStatus { $0.platformMuted = desired; $0.lastSyncAt = Date(); $0.lastError = nil }
                    if self.configuration.verify {
                        operation = .read
                        let value = try await profile.readMuted(sessionID: id)
                        self.observe(value, known: &known)
                        nextPoll = ContinuousClock.now + self.pollInterval
                    }
                    continue
                }

                attempt = 0
                if desired == known {
                    patchRefusedFor = nil
                    self.updateStatus { $0.state = .synced; $0.lastError = nil }
                } else {
                    self.updateStatus { $0.state = .failed }
                }

                if ContinuousClock.now >= nextPoll {
                    operation = .read
                    let value = try await profile.readMuted(sessionID: id)
                    self.observe(value, known: &known)
                    nextPoll = ContinuousClock.now + self.pollInterval
                    continue
                }
                await self.wake.wait(until: nextPoll)
            } catch is CancellationError {
                break
            } catch {
                let failure =
                    (error as? SignalingError) ?? SignalingError.transport("signaling: \(String(describing: error))")
                if failure.isSessionGone {
                    self.logger.info("session ended on the platform; finding it again", metadata: ["session": "\(sessionID ?? "-")"])
                    sessionID = nil
                    known = nil
                    self.updateStatus { $0.state = .pending; $0.sessionID = nil; $0.platformMuted = nil }
                    continue
                }
                if failure.isRetryable {
                    let delay = self.policy.delay(attempt: attempt, after: failure)
                    attempt += 1
                    self.logger.warning(
                        "signaling request failed; retrying",
                        metadata: ["error": "\(failure)", "retryIn": "\(delay)"]
                    )
                    self.updateStatus { $0.state = .retrying; $0.lastError = failure.description }
                    do { try await Task.sleep(for: delay) } catch { break }
                    continue
                }
                self.logger.error("signaling failed; not retrying", metadata: ["error": "\(failure)"])
                self.updateStatus { $0.state = .failed; $0.lastError = failure.description }
                if case .patch(let refused) = operation {
                    // Keep reading the session; send again only when the agent wants a new state.
                    patchRefusedFor = refused
                    nextPoll = ContinuousClock.now + self.pollInterval
                } else {
                    // Reading is refused: wait for the agent to change state or a new call.
                    await self.wake.wait()
                }
            }
        }
    }

    /// Handles a state read from the platform by a request that started after the last
    /// PATCH completed: if it differs from the state last set or seen and the agent has
    /// no change of their own waiting to be sent, someone else changed it.
    private func observe(_ value: Bool, known: inout Bool?) {
        let previous = known
        let remote = self.shared.withLock { shared -> Bool in
            guard let previous, value != previous, shared.desired == previous else { return false }
            shared.desired = value
            return true
        }
        known = value
        self.updateStatus { $0.platformMuted = value; $0.lastSyncAt = Date() }
        if remote {
            self.logger.info("remote state change", metadata: ["muted": "\(value)"])
            self.onRemoteChange(value)
        }
    }

    /// The `genesys` profile's engine, run until graceful shutdown.
    private func runGenesys() async throws {
        try self.configuration.validate()
        guard let settings = self.configuration.genesys else { return }
        let timeout = TimeAmount(self.configuration.requestTimeout)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: timeout, read: timeout)
        clientConfiguration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let tokens = GenesysTokenSource(configuration: self.configuration, settings: settings, httpClient: client,
                                        handOff: self.tokenHandOff, logger: self.logger)
        let api = GenesysAPIClient(configuration: self.configuration, settings: settings, httpClient: client, tokens: tokens,
                                   logger: self.logger)
        let engine = GenesysSignaling(service: self, configuration: self.configuration, settings: settings, api: api,
                                      logger: self.logger)
        self.genesys.withLock { $0 = engine }
        self.loginContext.withLock { $0 = (settings, tokens) }
        self.logger.info("signaling started", metadata: ["profile": "genesys", "base": "\(settings.apiBaseURL)",
                                                         "grant": "\(settings.grant)"])
        await withGracefulShutdownHandler {
            await engine.run()
        } onGracefulShutdown: {
            engine.finish()
        }
        self.genesys.withLock { $0 = nil }
        self.loginContext.withLock { $0 = nil }
        self.login.withLock { $0?.cancel(); $0 = nil }
        try? await client.shutdown()
        self.updateStatus { $0 = SignalingStatus(state: .off) }
        self.logger.info("signaling stopped")
    }

    func updateStatus(_ body: (inout SignalingStatus) -> Void) {
        let changed = self.shared.withLock { shared -> SignalingStatus? in
            let old = shared.status
            body(&shared.status)
            var comparable = shared.status
            comparable.lastSyncAt = old.lastSyncAt
            return comparable == old ? nil : shared.status
        }
        if let changed {
            self.onStatusChange(changed)
        }
    }
}
