import Foundation
import Logging
import Synchronization

/// The `sessions` profile (SPEC §5): one request at a time per call — find the session,
/// read it, PATCH the latest desired state when it differs, read it back, and poll — over
/// the poll-shaped ``SignalingProfile`` client (``SessionsAPIClient``, or a test's own).
///
/// It fits ``PlatformProfile``: the service sets its inputs, and it reports status edits
/// and remote changes on ``updates``.
final class SessionsSync: PlatformProfile {
    private enum Operation {
        case discover
        case read
        case patch(Bool)
    }

    private let daemon: ProfileInputs
    private let client: any SignalingProfile
    private let verify: Bool
    private let policy: RetryPolicy
    private let logger: Logger
    private let wake = WakeSignal()
    private let commands: AsyncStream<Void>
    private let commandContinuation: AsyncStream<Void>.Continuation
    let updates: AsyncStream<PlatformUpdate>
    private let report: AsyncStream<PlatformUpdate>.Continuation

    init(inputs: ProfileInputs, client: any SignalingProfile, verify: Bool, policy: RetryPolicy, logger: Logger) {
        self.daemon = inputs
        self.client = client
        self.verify = verify
        self.policy = policy
        self.logger = logger
        (self.commands, self.commandContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (self.updates, self.report) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        // A call the service already knows of is picked up at once.
        self.commandContinuation.yield()
    }

    func setCall(_ call: PlatformCall?) {
        self.daemon.set { $0.call = call }
        self.commandContinuation.yield()
    }

    func setDesiredState(muted: Bool) {
        self.daemon.set { $0.desired = muted }
        self.wake.signal()
    }

    func setPollInterval(_ interval: Duration) {
        self.daemon.set { $0.pollInterval = interval }
    }

    func finish() { self.commandContinuation.finish() }

    private func updateStatus(_ edit: @escaping @Sendable (inout SignalingStatus) -> Void) {
        self.report.yield(.status(edit))
    }

    func run() async {
        defer { self.report.finish() }
        var worker: (generation: UInt64, task: Task<Void, Never>)?
        for await _ in self.commands {
            let call = self.daemon.call
            guard call?.generation != worker?.generation else { continue }
            if let current = worker {
                current.task.cancel()
                await current.task.value
                worker = nil
                self.updateStatus { $0 = SignalingStatus(state: .idle, lastSyncAt: $0.lastSyncAt, profile: .sessions) }
            }
            if let call {
                worker = (call.generation, Task { await self.runCall(call, profile: self.client) })
            }
        }
        if let current = worker {
            current.task.cancel()
            await current.task.value
        }
    }

    // MARK: - One call

    private func runCall(_ call: PlatformCall, profile: any SignalingProfile) async {
        var sessionID = call.sessionID
        var known: Bool?
        var attempt = 0
        var patchRefusedFor: Bool?
        var operation = Operation.discover
        var nextPoll = ContinuousClock.now
        self.updateStatus { [sessionID] in $0 = SignalingStatus(state: .pending, sessionID: sessionID, profile: .sessions) }
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
                    nextPoll = ContinuousClock.now + self.daemon.pollInterval
                    self.updateStatus { $0.platformMuted = value; $0.lastSyncAt = Date() }
                }

                let desired = self.daemon.desired
                if desired != known && desired != patchRefusedFor {
                    operation = .patch(desired)
                    self.updateStatus { $0.state = .pending }
                    try await profile.setMuted(desired, sessionID: id)
                    known = desired
                    patchRefusedFor = nil
                    attempt = 0
                    self.logger.debug("state sent", metadata: ["session": "\(id)", "muted": "\(desired)"])
                    self.updateStatus { $0.platformMuted = desired; $0.lastSyncAt = Date(); $0.lastError = nil }
                    if self.verify {
                        operation = .read
                        let value = try await profile.readMuted(sessionID: id)
                        self.observe(value, known: &known)
                        nextPoll = ContinuousClock.now + self.daemon.pollInterval
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
                    nextPoll = ContinuousClock.now + self.daemon.pollInterval
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
                    nextPoll = ContinuousClock.now + self.daemon.pollInterval
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
        let remote = previous.map { previous in value != previous && self.daemon.followRemote(value, ifDesiredIs: previous) } ?? false
        known = value
        self.updateStatus { $0.platformMuted = value; $0.lastSyncAt = Date() }
        if remote {
            self.logger.info("remote state change", metadata: ["muted": "\(value)"])
            self.report.yield(.remoteChange(value))
        }
    }
}
