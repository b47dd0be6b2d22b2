import AsyncHTTPClient
import Foundation
import Logging
import Synchronization

/// What drives the `genesys` engine: the daemon's commands, the notification channel, and
/// the answers of its own requests. Everything arrives on one stream and is handled in
/// order by one task, so the rules of SPEC §5b never race with each other.
enum GenesysInput: Sendable {
    enum Origin: Sendable {
        /// Pushed over the WebSocket.
        case event
        /// Read while the WebSocket is down.
        case poll
        /// Re-read after a (re)connect or a confirmation that never came.
        case reconcile
    }

    /// The call, the desired state or the token changed.
    case command
    case timer
    case me(Result<String, SignalingError>)
    case channel(ChannelStatus.State, channelID: String?, error: String?)
    /// `observedAt`: when the platform's state was taken — an event's arrival, a read's start.
    case snapshot(ConversationSnapshot, origin: Origin, observedAt: ContinuousClock.Instant)
    /// `GET /conversations/calls` answered (discovery and reconcile).
    case calls([ConversationSnapshot], observedAt: ContinuousClock.Instant)
    case readFailed(SignalingError, conversationID: String?)
    case patched(Bool, Result<Void, SignalingError>)
}

/// The `genesys` profile (SPEC §5b): finds the agent's participant, sends the latest
/// desired mute state by participant PATCH (202, confirmed by the notification that shows
/// it), learns remote changes from the notifications WebSocket, reconciles after every
/// (re)connect, and polls only while the socket is down.
final class GenesysSignaling: PlatformProfile {
    private struct Conversation: Sendable {
        var id: String
        var participantID: String?
    }

    /// The engine's state; touched only by ``run()``'s one task.
    private struct State {
        var userID: String?
        var generation: UInt64?
        var conversation: Conversation?
        var tracker = PlatformMuteTracker()
        var refusedFor: Bool?
        var channel: ChannelStatus.State = .down
        var channelSince = Date()
        var meTask = false
        var readTask = false
        var patchTask = false
        var reconcileWanted = false
        var meRetryAt: ContinuousClock.Instant = .now
        var readRetryAt: ContinuousClock.Instant = .now
        var patchRetryAt: ContinuousClock.Instant = .now
        var nextPoll: ContinuousClock.Instant = .now
        var readAttempt = 0
        var patchAttempt = 0
        var blockedOnToken = false
        var failure: (state: SignalingStatus.State, message: String)?
        var channelStarted = false
        var channelManager: NotificationChannelManager?
        /// The last failure was the lack of a usable token.
        var tokenTrouble = false
        /// Calls that ended on the platform during this call of the daemon: a read that
        /// started before the end and answers after it must not bring one back.
        var ended: Set<String> = []
        /// When the newest snapshot applied was taken.
        var latestObservation: ContinuousClock.Instant?
    }

    private let daemon: ProfileInputs
    let updates: AsyncStream<PlatformUpdate>
    private let report: AsyncStream<PlatformUpdate>.Continuation
    private let configuration: PlatformSyncConfiguration
    private let settings: GenesysSettings
    private let api: GenesysAPIClient
    private let logger: Logger
    private let policy: RetryPolicy
    private let inputs: AsyncStream<GenesysInput>
    private let input: AsyncStream<GenesysInput>.Continuation

    init(inputs: ProfileInputs, configuration: PlatformSyncConfiguration, settings: GenesysSettings,
         api: GenesysAPIClient, logger: Logger) {
        self.daemon = inputs
        (self.updates, self.report) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        self.configuration = configuration
        self.settings = settings
        self.api = api
        self.logger = logger
        self.policy = RetryPolicy(base: configuration.backoffBase, max: configuration.backoffMax,
                                  maxRetryAfter: settings.maxRetryAfter)
        (self.inputs, self.input) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Wakes the engine (call, desired state or token changed).
    func poke() { self.input.yield(.command) }

    /// Ends ``run()``.
    func finish() { self.input.finish() }

    func setCall(_ call: PlatformCall?) {
        self.daemon.set { $0.call = call }
        self.poke()
    }

    func setDesiredState(muted: Bool) {
        self.daemon.set { $0.desired = muted }
        self.poke()
    }

    func setPollInterval(_ interval: Duration) {
        self.daemon.set { $0.pollInterval = interval }
    }

    func run() async {
        defer { self.report.finish() }
        var state = State()
        if !self.configuration.userID.isEmpty { state.userID = self.configuration.userID }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchTokens() }
            var timer: Task<Void, Never>?
            self.step(&state, group: &group)
            timer = self.arm(state)
            for await event in self.inputs {
                self.handle(event, &state, group: &group)
                self.step(&state, group: &group)
                timer?.cancel()
                timer = self.arm(state)
            }
            timer?.cancel()
            group.cancelAll()
        }
    }

    /// Renews a refreshable token (grants `pkce`, `client-credentials`) ahead of its expiry
    /// even while the WebSocket alone is in use, and notices a changed `api.token-file`.
    private func watchTokens() async {
        let stamp = { () -> Date? in
            guard let path = self.settings.tokenFile else { return nil }
            return (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        }
        var seen = stamp()
        while !Task.isCancelled {
            var pause = Duration.seconds(1)
            if self.settings.grant != .userToken, let deadline = await self.api.tokens.refreshDeadline, ContinuousClock.now >= deadline {
                do {
                    _ = try await self.api.tokens.token()
                    self.logger.debug("access token renewed ahead of its expiry")
                } catch {
                    pause = self.policy.max
                }
            }
            let current = stamp()
            if current != seen {
                seen = current
                self.logger.info("the token file changed")
                self.poke()
            }
            try? await Task.sleep(for: pause)
        }
    }

    // MARK: - Inputs

    private func handle(_ event: GenesysInput, _ state: inout State, group: inout TaskGroup<Void>) {
        switch event {
        case .command:
            if state.tokenTrouble {
                // A new token (or login): try at once instead of after the backoff.
                state.tokenTrouble = false
                state.meRetryAt = .now
                state.readRetryAt = .now
                state.patchRetryAt = .now
                state.channelManager?.wake.signal()
            }
            state.blockedOnToken = false
            if state.failure?.state == .failed { state.failure = nil }
        case .timer:
            break
        case .me(let result):
            state.meTask = false
            switch result {
            case .success(let id):
                self.logger.info("signed in to the platform", metadata: ["user": "\(id)"])
                state.userID = id
                state.failure = nil
            case .failure(let error):
                self.noteFailure(error, &state, of: .me)
            }
        case .channel(let channelState, _, let error):
            if channelState != state.channel {
                state.channel = channelState
                state.channelSince = Date()
            }
            if channelState == .connected {
                // Events in the gap are not replayed: read the calls again.
                state.reconcileWanted = true
                state.nextPoll = .now
            } else if let error {
                self.logger.debug("notification channel not connected", metadata: ["error": "\(error)"])
            }
        case .snapshot(let snapshot, let origin, let observedAt):
            if origin != .event { state.readTask = false; state.readAttempt = 0 }
            self.observe(snapshot, origin: origin, observedAt: observedAt, &state)
        case .calls(let listing, let observedAt):
            state.readTask = false
            state.readAttempt = 0
            if state.failure?.state == .retrying { state.failure = nil }
            self.reconcile(listing, observedAt: observedAt, &state)
        case .readFailed(let error, let conversationID):
            state.readTask = false
            if error.isSessionGone, let conversationID, state.conversation?.id == conversationID {
                self.forgetConversation(&state, reason: "the call ended on the platform")
            } else {
                self.noteFailure(error, &state, of: .read)
            }
        case .patched(let value, let result):
            state.patchTask = false
            switch result {
            case .success:
                state.patchAttempt = 0
                state.failure = nil
                self.logger.debug("mute accepted by the platform (202)", metadata: ["muted": "\(value)"])
            case .failure(let error):
                state.tracker.failed(value)
                if error.isSessionGone {
                    self.forgetConversation(&state, reason: "the participant is gone on the platform")
                } else if error.statusCode == 429, let wait = error.retryAfter, wait > self.settings.maxRetryAfter {
                    state.refusedFor = value
                    let message = "the platform rate-limits mute and asks to wait \(wait.components.seconds) s, more than "
                        + "\(self.settings.maxRetryAfter.components.seconds) s: not retrying until the next change "
                        + "(the microphone's state is applied locally)"
                    self.logger.error("giving up on the platform's mute state", metadata: ["error": "\(message)"])
                    state.failure = (.failed, message)
                } else if error.isRetryable || error.isUnauthorized {
                    self.noteFailure(error, &state, of: .patch)
                } else {
                    state.refusedFor = value
                    self.logger.error("the platform refused the mute state; not retrying", metadata: ["error": "\(error)"])
                    state.failure = (.failed, error.description)
                }
            }
        }
    }

    private enum RequestKind { case me, read, patch }

    private func noteFailure(_ error: SignalingError, _ state: inout State, of kind: RequestKind) {
        let attempt = kind == .patch ? state.patchAttempt : state.readAttempt
        var delay = self.policy.delay(attempt: attempt, after: error)
        if error.isUnauthorized {
            state.tokenTrouble = true
            state.blockedOnToken = self.settings.grant == .userToken
            delay = state.blockedOnToken ? .zero : self.policy.max
            self.logger.warning("signaling has no usable token", metadata: ["error": "\(error)"])
        }
        let retryAt = ContinuousClock.now + delay
        switch kind {
        case .me: state.meRetryAt = retryAt; state.readAttempt += 1
        case .read: state.readRetryAt = retryAt; state.readAttempt += 1
        case .patch: state.patchRetryAt = retryAt; state.patchAttempt += 1
        }
        if error.isUnauthorized {
            state.failure = (.failed, error.description)
            return
        }
        state.failure = (error.isRetryable ? .retrying : .failed, error.description)
        self.logger.warning("signaling request failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
    }

    /// A conversation snapshot, from an event or a read.
    private func observe(_ snapshot: ConversationSnapshot, origin: GenesysInput.Origin, observedAt: ContinuousClock.Instant,
                         _ state: inout State) {
        guard let userID = state.userID, state.generation != nil else { return }
        if state.conversation == nil {
            // A call the platform tells us about before discovery found it.
            guard !state.ended.contains(snapshot.id), let agent = snapshot.agentParticipant(userID: userID), !agent.isEnded else { return }
            self.adopt(snapshot.id, participantID: agent.id, &state)
        }
        guard let conversation = state.conversation, conversation.id == snapshot.id else { return }
        // Snapshots carry no sequence number: a read that started before the last snapshot
        // taken arrived shows older state (GENESYS.md §14.5), and is not a change.
        if let latest = state.latestObservation, observedAt < latest {
            self.logger.debug("snapshot older than the last one seen; ignored", metadata: ["via": "\(origin)"])
            return
        }
        state.latestObservation = observedAt
        let participant = conversation.participantID.flatMap { id in snapshot.participants.first { $0.id == id } }
            ?? snapshot.agentParticipant(userID: userID)
        guard let participant else { return }
        if participant.isEnded {
            self.forgetConversation(&state, reason: "the call ended on the platform")
            return
        }
        if state.conversation?.participantID == nil {
            state.conversation?.participantID = participant.id
        }
        let observation = state.tracker.observe(participant.muted)
        let desired = self.daemon.desired
        switch observation {
        case .initial(let muted):
            // First sight of the call (also after a restart): the platform's mute wins
            // over a daemon that is not muted, so a restart never unmutes the agent.
            if muted && !desired { self.applyRemote(true, origin: origin) }
        case .confirmed(let muted):
            self.logger.debug("platform confirmed the mute state", metadata: ["muted": "\(muted)", "via": "\(origin)"])
        case .stale:
            self.logger.debug("stale snapshot while our change is pending; ignored", metadata: ["muted": "\(participant.muted)"])
        case .remote(let muted):
            if muted != desired { self.applyRemote(muted, origin: origin) }
        case .unchanged:
            break
        }
        self.report.yield(.status { $0.lastSyncAt = Date() })
    }

    private func applyRemote(_ muted: Bool, origin: GenesysInput.Origin) {
        self.logger.info("remote state change", metadata: ["muted": "\(muted)", "via": "\(origin)"])
        if self.daemon.followRemote(muted) { self.report.yield(.remoteChange(muted)) }
    }

    /// `GET /conversations/calls` answered: find the call, or reconcile it.
    private func reconcile(_ listing: [ConversationSnapshot], observedAt: ContinuousClock.Instant, _ state: inout State) {
        guard let userID = state.userID, state.generation != nil else { return }
        if let conversation = state.conversation {
            guard let snapshot = listing.first(where: { $0.id == conversation.id }) else {
                if state.tracker.platformMuted != nil, state.latestObservation.map({ observedAt >= $0 }) ?? true {
                    self.forgetConversation(&state, reason: "the call is no longer active on the platform")
                }
                return
            }
            self.observe(snapshot, origin: .reconcile, observedAt: observedAt, &state)
            return
        }
        // Newest first; prefer a connected call (GENESYS.md §4).
        let candidates = listing.compactMap { snapshot -> (ConversationSnapshot, ConversationSnapshot.Participant)? in
            guard !state.ended.contains(snapshot.id), let agent = snapshot.agentParticipant(userID: userID), !agent.isEnded else { return nil }
            return (snapshot, agent)
        }
        guard let (snapshot, agent) = candidates.first(where: { $0.1.state == "connected" }) ?? candidates.first else {
            // The platform may lag the media: look again with backoff.
            state.readRetryAt = .now + self.policy.delay(attempt: state.readAttempt)
            state.readAttempt += 1
            return
        }
        self.adopt(snapshot.id, participantID: agent.id, &state)
        self.observe(snapshot, origin: .reconcile, observedAt: observedAt, &state)
    }

    private func adopt(_ conversationID: String, participantID: String?, _ state: inout State) {
        self.logger.info("found the call on the platform",
                         metadata: ["conversation": "\(conversationID)", "participant": "\(participantID ?? "-")"])
        state.conversation = Conversation(id: conversationID, participantID: participantID)
        state.tracker = PlatformMuteTracker()
        state.latestObservation = nil
        state.readAttempt = 0
    }

    private func forgetConversation(_ state: inout State, reason: String) {
        guard let conversation = state.conversation else { return }
        self.logger.info("\(reason)", metadata: ["conversation": "\(conversation.id)"])
        state.ended.insert(conversation.id)
        state.conversation = nil
        state.latestObservation = nil
        state.tracker = PlatformMuteTracker()
        state.refusedFor = nil
        state.readRetryAt = .now + self.configuration.pollInterval
    }

    // MARK: - Actions

    /// Starts whatever the state calls for; each kind of request at most once at a time.
    private func step(_ state: inout State, group: inout TaskGroup<Void>) {
        let now = ContinuousClock.now
        let call = self.daemon.call
        if call?.generation != state.generation {
            state.generation = call?.generation
            state.ended = []
            state.latestObservation = nil
            state.tracker = PlatformMuteTracker()
            state.refusedFor = nil
            state.readAttempt = 0
            state.patchAttempt = 0
            state.readRetryAt = now
            state.patchRetryAt = now
            if state.failure?.state != .failed || !state.blockedOnToken { state.failure = nil }
            if let call, let conversationID = call.conversationID {
                state.conversation = Conversation(id: conversationID, participantID: call.participantID)
            } else {
                state.conversation = nil
            }
        }
        let api = self.api
        let input = self.input

        if state.userID == nil {
            if !state.meTask && !state.blockedOnToken && now >= state.meRetryAt {
                state.meTask = true
                group.addTask {
                    do { input.yield(.me(.success(try await api.me()))) } catch {
                        input.yield(.me(.failure(Self.signalingError(error))))
                    }
                }
            }
        } else if !state.channelStarted, let userID = state.userID {
            state.channelStarted = true
            let manager = NotificationChannelManager(api: api, settings: self.settings, policy: self.policy, userID: userID,
                                                     logger: self.logger) { input.yield($0) }
            state.channelManager = manager
            group.addTask { await manager.run() }
        }

        if call != nil, state.userID != nil, !state.readTask, !state.blockedOnToken {
            let conversationID = state.conversation?.id
            let needsList = conversationID == nil && now >= state.readRetryAt
            let needsFirstRead = conversationID != nil && state.tracker.platformMuted == nil && now >= state.readRetryAt
            let confirmationLate = state.tracker.isPending && !state.patchTask
                && (state.tracker.pendingSince.map { now >= $0 + self.settings.confirmationTimeout } ?? false)
            let polling = conversationID != nil && state.channel != .connected && now >= state.nextPoll
            if confirmationLate {
                self.logger.info("no confirmation of the mute state; reading it again")
                state.tracker.abandonPending()
            }
            if needsList || (state.reconcileWanted && now >= state.readRetryAt) {
                state.readTask = true
                state.reconcileWanted = false
                group.addTask {
                    let started = ContinuousClock.now
                    do { input.yield(.calls(try await api.activeCalls(), observedAt: started)) } catch {
                        input.yield(.readFailed(Self.signalingError(error), conversationID: nil))
                    }
                }
            } else if let conversationID, needsFirstRead || confirmationLate || polling {
                state.readTask = true
                if polling { state.nextPoll = now + self.daemon.pollInterval }
                group.addTask {
                    let started = ContinuousClock.now
                    do {
                        input.yield(.snapshot(try await api.call(conversationID), origin: polling ? .poll : .reconcile,
                                              observedAt: started))
                    } catch {
                        input.yield(.readFailed(Self.signalingError(error), conversationID: conversationID))
                    }
                }
            }
        }

        // One PATCH in flight, and none while our last one is unconfirmed: only the latest
        // desired state is ever sent.
        if call != nil, let conversation = state.conversation, let participantID = conversation.participantID,
            let platformMuted = state.tracker.platformMuted, !state.patchTask, !state.tracker.isPending,
            !state.blockedOnToken, now >= state.patchRetryAt
        {
            let desired = self.daemon.desired
            if desired != platformMuted && desired != state.refusedFor {
                state.patchTask = true
                state.tracker.sent(desired)
                group.addTask {
                    do {
                        try await api.setMuted(desired, conversationID: conversation.id, participantID: participantID)
                        input.yield(.patched(desired, .success(())))
                    } catch {
                        input.yield(.patched(desired, .failure(Self.signalingError(error))))
                    }
                }
            } else if desired == platformMuted {
                state.refusedFor = nil
            }
        }

        self.publishStatus(state, call: call)
    }

    /// Sleeps until the next deadline, then wakes the engine.
    private func arm(_ state: State) -> Task<Void, Never>? {
        var deadlines: [ContinuousClock.Instant] = []
        if state.userID == nil && !state.meTask { deadlines.append(state.meRetryAt) }
        if state.generation != nil {
            if !state.readTask {
                if state.conversation == nil || state.tracker.platformMuted == nil || state.reconcileWanted {
                    deadlines.append(state.readRetryAt)
                }
                if state.conversation != nil && state.channel != .connected { deadlines.append(state.nextPoll) }
                if let since = state.tracker.pendingSince { deadlines.append(since + self.settings.confirmationTimeout) }
            }
            if !state.patchTask && state.patchRetryAt > .now { deadlines.append(state.patchRetryAt) }
        }
        guard let next = deadlines.min() else { return nil }
        let input = self.input
        return Task {
            do { try await Task.sleep(until: max(next, .now + .milliseconds(1)), clock: .continuous) } catch { return }
            input.yield(.timer)
        }
    }

    private func publishStatus(_ state: State, call: PlatformCall?) {
        let desired = self.daemon.desired
        let coarse: SignalingStatus.State
        if let failure = state.failure {
            coarse = failure.state
        } else if call == nil {
            coarse = state.userID == nil && state.blockedOnToken ? .failed : .idle
        } else if state.conversation == nil || state.tracker.isPending || state.tracker.platformMuted != desired {
            coarse = .pending
        } else {
            coarse = .synced
        }
        let channel = ChannelStatus(state: state.channel, since: state.channelSince)
        let conversationID = call == nil ? nil : state.conversation?.id
        let participantID = call == nil ? nil : state.conversation?.participantID
        let platformMuted = call == nil ? nil : state.tracker.platformMuted
        let lastError = state.failure?.message
        self.report.yield(.status { status in
            status.state = coarse
            status.profile = .genesys
            status.conversationID = conversationID
            status.participantID = participantID
            status.platformMuted = platformMuted
            status.lastError = lastError
            status.channel = channel
        })
    }

    static func signalingError(_ error: any Error) -> SignalingError {
        (error as? SignalingError) ?? SignalingError.transport("signaling: \(error)")
    }
}
