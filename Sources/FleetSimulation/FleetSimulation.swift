import Foundation
import Logging
import SessionAPIEmulator
import PlatformSync
import Synchronization

/// Many agents' `genesys` signaling clients (the ``PlatformSyncService`` library, not
/// daemons) against one Genesys Cloud emulator in one process: every agent in a call,
/// toggling mute at a fixed interval with a random phase, and a supervisor muting and
/// unmuting each agent once. It checks that no change is lost (each agent's platform
/// state ends equal to its desired state; every supervisor change reaches the agent) and
/// that no agent goes over the platform's per-user rate limit, and it counts requests.
public struct FleetSimulation: Sendable {
    public struct Settings: Sendable {
        public var agents: Int
        /// How long the agents toggle.
        public var duration: Duration
        public var toggleInterval: Duration
        /// An idle stretch (in a call, nothing changes) measured before the toggling.
        public var idle: Duration
        public var applyDelay: Duration
        public var heartbeatInterval: Duration
        /// Spread of the agents' start-up (log-in, channel, socket).
        public var rampUp: Duration

        public init(agents: Int = 1000, duration: Duration = .seconds(90), toggleInterval: Duration = .seconds(30),
                    idle: Duration = .seconds(30), applyDelay: Duration = .milliseconds(150),
                    heartbeatInterval: Duration = .seconds(30), rampUp: Duration = .seconds(20)) {
            self.agents = agents
            self.duration = duration
            self.toggleInterval = toggleInterval
            self.idle = idle
            self.applyDelay = applyDelay
            self.heartbeatInterval = heartbeatInterval
            self.rampUp = rampUp
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var agents: Int
        public var connected: Int
        public var localChanges: Int
        public var lostLocalChanges: Int
        public var supervisorChanges: Int
        public var lostRemoteChanges: Int
        public var falseRemoteChanges: Int
        public var rateLimited: Int
        public var maxRequestsPerUserMinute: Int
        public var idleRequestsPerAgentHour: Double
        public var togglingRequestsPerAgentHour: Double
        public var patchesPerAgentHour: Double
        public var socketMessagesPerAgentHour: Double

        public var description: String {
            """
            fleet: \(agents) agents, \(connected) with the WebSocket connected
              local changes: \(localChanges), lost: \(lostLocalChanges)
              supervisor changes: \(supervisorChanges), lost: \(lostRemoteChanges), false remote changes: \(falseRemoteChanges)
              429 for going over the per-user limit: \(rateLimited); busiest user-minute: \(maxRequestsPerUserMinute) requests (limit 300)
              REST requests per agent-hour: idle in a call \(String(format: "%.1f", idleRequestsPerAgentHour)), toggling \(String(format: "%.1f", togglingRequestsPerAgentHour)) (of which PATCH \(String(format: "%.1f", patchesPerAgentHour)))
              WebSocket messages to each agent per hour while toggling: \(String(format: "%.0f", socketMessagesPerAgentHour))
            """
        }
    }

    let settings: Settings

    public init(_ settings: Settings) {
        self.settings = settings
    }

    /// One agent's client and what it saw.
    private final class Agent: Sendable {
        let userID: String
        let conversationID: String
        let service: PlatformSyncService
        let remote = Mutex<[Bool]>([])

        init(userID: String, conversationID: String, service: PlatformSyncService) {
            self.userID = userID
            self.conversationID = conversationID
            self.service = service
        }
    }

    public func run(log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Report {
        let s = self.settings
        let users = (0..<s.agents).map { GenesysEmulatorConfiguration.User(id: String(format: "agent-%05d", $0)) }
        let emulator = GenesysEmulator(configuration: GenesysEmulatorConfiguration(
            users: users + [.init(id: "supervisor", permissions: [GenesysEmulatorConfiguration.disconnectPermission])],
            clients: ["desktop": .init()], applyDelay: s.applyDelay, heartbeatInterval: s.heartbeatInterval))
        let port = try await emulator.start()
        let quiet = Logger(label: "fleet") { _ in SwiftLogNoOpLogHandler() }
        var agents: [Agent] = []
        for user in users {
            let conversation = emulator.createConversation(agentUserID: user.id)
            let settings = GenesysSettings(apiBaseURL: "http://127.0.0.1:\(port)/api/v2", loginBaseURL: "http://127.0.0.1:\(port)")
            let configuration = PlatformSyncConfiguration(
                profile: .genesys, baseURL: settings.apiBaseURL, tokenURL: settings.tokenURL, clientID: "desktop",
                clientSecret: Secret(""), userID: "", pollInterval: .seconds(5), requestTimeout: .seconds(10), genesys: settings)
            let box = Mutex<Agent?>(nil)
            let service = PlatformSyncService(configuration: configuration, logger: quiet, onRemoteChange: { muted in
                box.withLock { $0 }?.remote.withLock { $0.append(muted) }
            })
            let agent = Agent(userID: user.id, conversationID: conversation.id, service: service)
            box.withLock { $0 = agent }
            let token = emulator.issueUserToken(userID: user.id, clientID: "desktop", expiresIn: 8 * 3600)
            try service.setToken(Secret(token.token), expiresIn: .seconds(token.expiresIn))
            agents.append(agent)
        }
        log("emulator on port \(port); starting \(s.agents) clients over \(s.rampUp)")
        let fleet = agents
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let spacing = s.rampUp / max(1, s.agents)
            for (index, agent) in fleet.enumerated() {
                group.addTask {
                    try await Task.sleep(for: spacing * index)
                    agent.service.callStarted()
                    try await agent.service.run()
                }
            }
            // Everyone in the call, with the socket up.
            let deadline = ContinuousClock.now + s.rampUp + .seconds(60)
            while ContinuousClock.now < deadline {
                let ready = fleet.filter { $0.service.status.state == .synced && $0.service.status.channel?.state == .connected }.count
                if ready == fleet.count { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            let connected = fleet.filter { $0.service.status.channel?.state == .connected }.count
            log("\(connected) of \(fleet.count) connected; idle for \(s.idle)")

            emulator.clearRequestLog()
            try await Task.sleep(for: s.idle)
            let idleRequests = emulator.requestLog().count
            let hours = { (d: Duration) in Double(d.components.seconds) / 3600 + Double(d.components.attoseconds) / 3.6e21 }

            emulator.clearRequestLog()
            let socketAtToggles = emulator.socketLog().count
            log("toggling every \(s.toggleInterval) for \(s.duration)")
            let started = ContinuousClock.now
            let end = started + s.duration
            var toggles: [(agent: Agent, at: ContinuousClock.Instant)] = []
            var supervisor: [(agent: Agent, at: ContinuousClock.Instant, muted: Bool)] = []
            for agent in fleet {
                let phase = Duration.milliseconds(Int64.random(in: 0..<Int64(s.toggleInterval.components.seconds * 1000)))
                var at = started + phase
                while at < end {
                    toggles.append((agent, at))
                    at += s.toggleInterval
                }
                // The supervisor mutes and then unmutes each agent once, between two of its toggles.
                let supervised = started + phase + s.toggleInterval / 4
                let released = started + phase + s.toggleInterval * 3 / 5
                if released < end {
                    supervisor.append((agent, supervised, true))
                    supervisor.append((agent, released, false))
                }
            }
            let schedule = toggles.map { ($0.at, 0, $0.agent, false) } + supervisor.map { ($0.at, 1, $0.agent, $0.muted) }
            var localChanges = 0
            var supervisorChanges = 0
            var expectedRemote: [String: [Bool]] = [:]
            for (at, kind, agent, muted) in schedule.sorted(by: { $0.0 < $1.0 }) {
                try await Task.sleep(until: at, clock: .continuous)
                if kind == 0 {
                    agent.service.setDesiredState(muted: !agent.service.desiredMuted)
                    localChanges += 1
                } else {
                    // Only a change the platform sees as one: the agent's state as the platform has it.
                    let current = emulator.conversation(id: agent.conversationID)?.participant(ofUser: agent.userID)?.muted
                    if current != muted {
                        try emulator.supervisorSetMuted(conversationID: agent.conversationID, muted: muted)
                        expectedRemote[agent.userID, default: []].append(muted)
                        supervisorChanges += 1
                    }
                }
            }
            try await Task.sleep(for: .seconds(5))
            let toggling = ContinuousClock.now - started
            let requests = emulator.requestLog()
            let socketMessages = emulator.socketLog()[socketAtToggles...].filter { $0.kind == "out" }.count

            var lostLocal = 0
            var lostRemote = 0
            var falseRemote = 0
            for agent in fleet {
                let platform = emulator.conversation(id: agent.conversationID)?.participant(ofUser: agent.userID)?.muted
                if platform != agent.service.desiredMuted { lostLocal += 1 }
                let seen = agent.remote.withLock { $0 }
                let expected = expectedRemote[agent.userID] ?? []
                // Every supervisor change must have been reported, and nothing else.
                if seen.count < expected.count { lostRemote += expected.count - seen.count }
                if seen.count > expected.count { falseRemote += seen.count - expected.count }
            }
            let report = Report(
                agents: fleet.count, connected: connected, localChanges: localChanges, lostLocalChanges: lostLocal,
                supervisorChanges: supervisorChanges, lostRemoteChanges: lostRemote, falseRemoteChanges: falseRemote,
                rateLimited: emulator.rateLimitedRequests, maxRequestsPerUserMinute: emulator.busiestUserMinute,
                idleRequestsPerAgentHour: Double(idleRequests) / Double(fleet.count) / hours(s.idle),
                togglingRequestsPerAgentHour: Double(requests.count) / Double(fleet.count) / hours(toggling),
                patchesPerAgentHour: Double(requests.filter { $0.method == "PATCH" }.count) / Double(fleet.count) / hours(toggling),
                socketMessagesPerAgentHour: Double(socketMessages) / Double(fleet.count) / hours(toggling))
            group.cancelAll()
            await emulator.stop()
            return report
        }
    }
}
