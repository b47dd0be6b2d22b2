import CallControl
import ControlProtocol
import ControlServer
import Foundation
import Logging
import MediaCore
import MediaEngine
import ServiceLifecycle
import PlatformSync
import SIPPhone
import SystemdSupport
import Synchronization
import UnixSignals

/// softphoned's parts wired together and run as one `ServiceGroup`: the control server,
/// REST signaling, systemd's watchdog, reload on SIGHUP, and the call itself.
public final class Daemon: Sendable {
    public let configuration: DaemonConfiguration
    /// The configuration as last (re)loaded.
    var currentConfiguration: DaemonConfiguration {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
    private let current: Mutex<DaemonConfiguration>
    /// The control socket's notifications: the call core's events as its encoder writes them,
    /// and the platform's.
    public let events: EventBus
    /// The call core's typed events, in the one order every front end sees.
    public let coreEvents: CallEventHub
    public let mute: MuteController
    public let calls: CallController
    public let signaling: PlatformSyncService?
    /// The capture device's mixer switch kept in step with the mute state.
    public let deviceSync: DeviceMuteSync
    /// The SIP user agent, when `sip.enabled`.
    public let phone: SIPPhone?
    public let socketPath: String?
    let notifier: SystemdNotifier
    let logger: Logger
    let configPath: String?
    private let controlServer: ControlServer

    /// Builds the daemon's parts (nothing runs yet).
    /// - Parameters:
    ///   - configuration: everything the daemon runs with, the platform's settings included
    ///     (`api`; a program embedding the daemon sets them as the file would).
    ///   - configPath: the file SIGHUP reloads from.
    public init(configuration: DaemonConfiguration, configPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "softphoned")) throws {
        self.configuration = configuration
        current = Mutex(configuration)
        self.configPath = configPath
        self.logger = logger
        notifier = SystemdNotifier.fromEnvironment(environment)
        if let error = notifier.setupError { logger.warning("NOTIFY_SOCKET unusable; not talking to systemd", metadata: ["error": "\(error)"]) }
        events = EventBus()
        coreEvents = CallEventHub()
        let events = self.events
        // The control socket's front end: every call core event, encoded once, in the core's order.
        coreEvents.addSink { event in
            guard let (type, fields) = ControlEncoder.event(event) else { return }
            events.publish(type: type, fields: fields)
        }
        mute = MuteController(initial: configuration.muteInitial, mode: configuration.muteMode,
                              persistAcrossCalls: configuration.mutePersistAcrossCalls, events: coreEvents)
        let mute = self.mute
        if let settings = try Self.signalingConfiguration(configuration.api) {
            let signaling = PlatformSyncService(
                configuration: settings, initialMuted: configuration.muteInitial, logger: Logger(label: "softphoned.signaling"),
                onRemoteChange: { muted in
                    // A supervisor's change: applied to the media first, then told to listeners.
                    _ = try? mute.set(muted: muted, source: .remote)
                },
                onStatusChange: { status in
                    events.publish(type: .signaling, fields: ControlEncoder.signalingEvent(status))
                })
            mute.setPublisher { muted in signaling.setDesiredState(muted: muted) }
            self.signaling = signaling
        } else {
            signaling = nil
        }
        deviceSync = try DeviceMuteSync(enabled: configuration.muteSyncDevice, mixerName: configuration.captureMixer, mute: mute,
                                        events: coreEvents, logger: Logger(label: "softphoned.mixer"))
        calls = CallController(settings: configuration.callSettings, mute: mute, events: coreEvents,
                               platform: signaling.map(PlatformSyncAdapter.init), deviceSync: deviceSync,
                               logger: Logger(label: "softphoned.call"))

        let calls = self.calls, coreEvents = self.coreEvents
        phone = configuration.sip.map {
            SIPPhone(settings: $0, calls: calls, events: coreEvents, logger: Logger(label: "softphoned.sip"))
        }

        // systemd's socket activation hands the control socket over ready-made.
        let inherited = try SocketActivation.listenFileDescriptors(environment: environment)
        let activated = inherited.first { $0.name == "control" } ?? inherited.first
        socketPath = activated == nil ? (configuration.controlSocket ?? ControlServerConfiguration.defaultSocketPath()) : nil
        let serverConfiguration = ControlServerConfiguration(
            socketPath: socketPath, inheritedFD: activated?.fd, allowedUIDs: configuration.allowedUIDs,
            allowedGroup: configuration.allowedGroup)
        let notifier = self.notifier
        controlServer = ControlServer(
            configuration: serverConfiguration,
            handler: DaemonRequestHandler(mute: mute, calls: calls, signaling: signaling, device: deviceSync, phone: phone),
            eventBus: events, logger: Logger(label: "softphoned.control"),
            onReady: { _ = notifier.ready(status: "idle, waiting for a call") })
    }

    static func signalingConfiguration(_ api: DaemonConfiguration.APISettings) throws -> PlatformSyncConfiguration? {
        if api.profile == .genesys { return try genesysConfiguration(api) }
        guard api.profile == .sessions, let base = api.effectiveBaseURL, let token = api.effectiveTokenURL,
              let clientID = api.clientID, let userID = api.userID else { return nil }
        guard let secret = api.clientSecret else {
            throw ConfigurationError(key: "api.client-secret", value: nil,
                                     reason: "the sessions profile needs the client secret: $CREDENTIALS_DIRECTORY/client-secret, api.client-secret-file or SOFTPHONED_API_CLIENT_SECRET")
        }
        return PlatformSyncConfiguration(
            baseURL: base, tokenURL: token, clientID: clientID, clientSecret: Secret(secret), userID: userID, scope: api.scope,
            pollInterval: .milliseconds(api.pollIntervalMilliseconds), verify: api.verify,
            backoffBase: .milliseconds(api.backoffBaseMilliseconds), backoffMax: .milliseconds(api.backoffMaxMilliseconds))
    }

    /// The `genesys` profile's settings (SPEC §5b).
    static func genesysConfiguration(_ api: DaemonConfiguration.APISettings) throws -> PlatformSyncConfiguration? {
        guard let base = api.genesysBaseURL, let login = api.genesysLoginURL else { return nil }
        let grant = api.grant
        if grant == .clientCredentials && api.clientSecret == nil {
            throw ConfigurationError(key: "api.client-secret", value: nil,
                                     reason: "grant client-credentials needs the client secret: $CREDENTIALS_DIRECTORY/client-secret, api.client-secret-file or SOFTPHONED_API_CLIENT_SECRET")
        }
        let settings = GenesysSettings(
            apiBaseURL: base, loginBaseURL: login, grant: grant, tokenFile: api.tokenFile, stateDirectory: api.stateDirectory,
            redirectPort: api.redirectPort, socketSilence: .milliseconds(api.socketSilenceMilliseconds),
            pongTimeout: .milliseconds(api.pongTimeoutMilliseconds),
            confirmationTimeout: .milliseconds(api.confirmationTimeoutMilliseconds))
        return PlatformSyncConfiguration(
            profile: .genesys, baseURL: base, tokenURL: settings.tokenURL, clientID: api.clientID ?? "",
            clientSecret: Secret(api.clientSecret ?? ""), userID: api.userID ?? "",
            pollInterval: .milliseconds(api.pollIntervalMilliseconds),
            backoffBase: .milliseconds(api.backoffBaseMilliseconds), backoffMax: .milliseconds(api.backoffMaxMilliseconds),
            genesys: settings)
    }

    /// Runs until SIGTERM/SIGINT (or `until` returns): serves the control socket, starts
    /// the configured static call, and on shutdown ends the call with an RTCP BYE.
    public func run(extraServices: [any Service] = []) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: controlServer)]
        if let signaling { services.append(.init(service: signaling)) }
        let calls = self.calls
        let interval: Duration?
        do { interval = try WatchdogConfiguration.interval() } catch {
            logger.warning("systemd's watchdog settings are malformed; not feeding the watchdog", metadata: ["error": "\(error)"])
            interval = nil
        }
        services.append(.init(service: WatchdogService(notifier: notifier, interval: interval, isAlive: {
            // Alive when idle, or when the call's send thread ran within the last second.
            guard let media = calls.snapshot.media else { return true }
            let beat = media.lastHeartbeat
            return beat == 0 || MonotonicClock.now() &- beat < 1_000_000_000
        })))
        services.append(.init(service: StatusReporter(daemon: self)))
        services.append(.init(service: ReloadService(daemon: self)))
        for service in extraServices { services.append(.init(service: service)) }
        services.append(.init(service: DeviceMuteSyncService(sync: deviceSync)))
        if let phone { services.append(.init(service: SIPService(phone: phone, logger: logger))) }
        // Last in, first out: the call ends (BYE) before the control socket closes.
        services.append(.init(service: CallLifecycleService(daemon: self)))
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Waits until the control socket accepts connections.
    public func waitUntilServing() async throws { try await controlServer.waitUntilReady() }

    /// A one-line summary for systemd's STATUS= and the logs.
    func statusLine() -> String {
        let state = mute.state
        var parts: [String] = []
        if let call = calls.snapshot.summary {
            parts.append("in call with \(call.remote)")
            parts.append(state.muted ? "muted (\(state.mode.rawValue), \(state.source.rawValue))" : "live")
        } else {
            parts.append("idle")
            if state.muted { parts.append("pre-muted") }
        }
        if let signaling {
            let status = signaling.status
            parts.append("platform \(status.state.rawValue)")
        }
        if let registration = phone?.status.registration { parts.append("SIP \(registration.state.rawValue)") }
        return parts.joined(separator: ", ")
    }
}

/// Starts the configured static call once the control socket serves, and ends the call
/// with an RTCP BYE on shutdown.
struct CallLifecycleService: Service {
    let daemon: Daemon

    func run() async throws {
        try await daemon.waitUntilServing()
        if let call = daemon.configuration.call {
            do {
                _ = try await daemon.calls.start(remote: call.remote, key: call.key, remoteKey: call.remoteKey,
                                                 localPort: daemon.configuration.localPort,
                                                 context: PlatformCallContext(sessionID: call.sessionID))
            } catch {
                daemon.logger.error("the configured call could not start", metadata: ["error": "\(error.message)"])
            }
        }
        try? await gracefulShutdown()
        _ = daemon.notifier.stopping(status: "stopping")
        await daemon.calls.hangup(reason: .hangup)
    }
}

/// Runs the SIP user agent: binds and registers at start; on shutdown (after the call has
/// ended) removes the registration and stops the stack, within 1.5 s.
struct SIPService: Service {
    let phone: SIPPhone
    let logger: Logger

    func run() async throws {
        do { try await phone.start() } catch {
            logger.error("the SIP user agent cannot start", metadata: ["error": "\(error.message)"])
            throw error
        }
        try? await gracefulShutdown()
        await phone.stop()
    }
}

/// Runs the capture mixer's thread for the daemon's life; it stops after the call has ended.
struct DeviceMuteSyncService: Service {
    let sync: DeviceMuteSync

    func run() async throws {
        sync.start()
        try? await gracefulShutdown()
        sync.stop()
    }
}

/// Keeps systemd's STATUS= line current: one update per event.
struct StatusReporter: Service {
    let daemon: Daemon

    func run() async throws {
        let subscription = daemon.events.subscribe()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for await _ in subscription {
                    _ = daemon.notifier.status(daemon.statusLine())
                }
            } onGracefulShutdown: {
                subscription.cancel()
            }
        } onCancel: {
            subscription.cancel()
        }
    }
}

/// The platform mute sync as the call core's platform seam: the call's
/// context goes with the call when it starts.
struct PlatformSyncAdapter: PlatformCallSync {
    let service: PlatformSyncService

    func callStarted(_ context: PlatformCallContext) {
        service.callStarted(sessionID: context.sessionID, conversationID: context.conversationID, participantID: context.participantID)
    }

    func callEnded() { service.callEnded() }
}
