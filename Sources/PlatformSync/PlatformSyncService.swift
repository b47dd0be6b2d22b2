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

    private struct Shared: Sendable {
        var desired: Bool
        var call: PlatformCall?
        var nextGeneration: UInt64 = 1
        var status: SignalingStatus
        /// The running profile: told of every change of the call, the desired state and the
        /// poll interval, under this lock, so it sees them in the daemon's order.
        var profile: (any PlatformProfile)?
        /// The running profile's inputs.
        var inputs: ProfileInputs?
    }

    private let configuration: PlatformSyncConfiguration
    private let currentPollInterval: Mutex<Duration>
    private let logger: Logger
    private let onRemoteChange: RemoteChangeHandler
    private let onStatusChange: StatusHandler
    private let profileOverride: (any SignalingProfile)?
    private let shared: Mutex<Shared>
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
        self.policy = RetryPolicy(base: configuration.backoffBase, max: configuration.backoffMax)
    }

    // MARK: - Daemon-facing API (non-blocking, any thread)

    /// Changes how often the platform is read during a call (SIGHUP reload); takes effect
    /// from the next poll.
    public func setPollInterval(_ interval: Duration) {
        currentPollInterval.withLock { $0 = interval }
        self.shared.withLock { $0.profile?.setPollInterval(interval) }
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
            let call = PlatformCall(generation: shared.nextGeneration, sessionID: sessionID,
                                    conversationID: conversationID ?? (self.configuration.profile == .genesys ? sessionID : nil),
                                    participantID: participantID)
            shared.call = call
            shared.nextGeneration += 1
            shared.profile?.setCall(call)
        }
    }

    /// The call has ended: stop polling and forget the session.
    public func callEnded() {
        self.shared.withLock { shared in
            shared.call = nil
            shared.profile?.setCall(nil)
        }
    }

    /// Records the agent's desired state; the latest one is sent when possible.
    public func setDesiredState(muted: Bool) {
        self.shared.withLock { shared in
            shared.desired = muted
            shared.profile?.setDesiredState(muted: muted)
        }
        // The platform no longer holds the desired state: say so now, not only when the
        // request in flight (perhaps a poll held up by a hanging API) comes back.
        self.updateStatus { if $0.state == .synced && $0.platformMuted != muted { $0.state = .pending } }
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

    // MARK: - What the profile reports

    /// A remote change: the desired state follows it, then the daemon hears of it.
    private func applyRemote(_ muted: Bool) {
        let changed = self.shared.withLock { shared -> Bool in
            guard shared.desired != muted else { return false }
            shared.desired = muted
            // The profile followed the remote change when it reported it; a change of the
            // daemon's since then yields to it here as well, without waking the profile.
            shared.inputs?.set { $0.desired = muted }
            return true
        }
        if changed { self.onRemoteChange(muted) }
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

        let inputs = self.profileInputs()
        let engine = SessionsSync(inputs: inputs, client: profile, verify: self.configuration.verify,
                                  policy: self.policy, logger: self.logger)
        await self.runProfile(engine, inputs: inputs)
        try? await httpClient?.shutdown()
        self.updateStatus { $0 = SignalingStatus(state: .off) }
        self.logger.info("signaling stopped")
    }

    /// A profile's inputs as they are now (read before it is installed; see ``runProfile(_:inputs:)``).
    private func profileInputs() -> ProfileInputs {
        let (desired, call) = self.shared.withLock { ($0.desired, $0.call) }
        return ProfileInputs(desired: desired, call: call, pollInterval: self.pollInterval)
    }

    /// Runs a profile until graceful shutdown, applying what it reports in order; returns
    /// once its last report is applied.
    private func runProfile(_ engine: some PlatformProfile, inputs: ProfileInputs) async {
        self.shared.withLock { shared in
            // What changed since the inputs were read reaches the profile here (it is not
            // running yet); from now on every change is forwarded under this lock.
            let pollInterval = self.pollInterval
            inputs.set { $0.call = shared.call; $0.desired = shared.desired; $0.pollInterval = pollInterval }
            shared.profile = engine
            shared.inputs = inputs
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await engine.run() }
                for await update in engine.updates {
                    switch update {
                    case .status(let edit): self.updateStatus(edit)
                    case .remoteChange(let muted): self.applyRemote(muted)
                    }
                }
            }
        } onGracefulShutdown: {
            engine.finish()
        }
        self.shared.withLock { $0.profile = nil; $0.inputs = nil }
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
        let inputs = self.profileInputs()
        let engine = GenesysSignaling(inputs: inputs, configuration: self.configuration, settings: settings,
                                      api: api, logger: self.logger)
        self.genesys.withLock { $0 = engine }
        self.loginContext.withLock { $0 = (settings, tokens) }
        self.logger.info("signaling started", metadata: ["profile": "genesys", "base": "\(settings.apiBaseURL)",
                                                         "grant": "\(settings.grant)"])
        await self.runProfile(engine, inputs: inputs)
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
