import CNice
import CPOSIX
import Foundation
import MediaCore
import Synchronization

/// One WebRTC call's transport: a full ICE agent (libnice, RFC 8445) with one component
/// (rtcp-mux and BUNDLE), DTLS-SRTP over it, and the hand-off of received SRTP to the
/// receive thread.
///
/// Thread confinement: libnice runs on a GLib main context owned by this transport's own
/// thread (`sp-ice`); every callback, the `DTLSEndpoint` and the retransmission timer run
/// there. The send thread calls `send` (libnice's public calls take the agent's mutex, and
/// `nice_agent_send` allocates nothing); the receive thread calls `receive`, which reads a
/// lock-free ring. Everything else is guarded by `state`.
public final class WebRTCTransport: @unchecked Sendable {
    public let configuration: ICEConfiguration
    /// RFC 8445 §6.1.1: we control when we offer or the peer is lite.
    public let controlling: Bool
    /// Our certificate's `a=fingerprint`.
    public let fingerprint: (hashFunction: String, value: String)

    private let context: OpaquePointer
    private let loop: OpaquePointer
    private let agent: OpaquePointer
    private let streamID: guint
    private let ring = PacketRing()
    private let dtls: DTLSEndpoint
    private let events: @Sendable (WebRTCTransportEvent) -> Void
    private let loopFinished = DispatchSemaphore(value: 0)

    private struct State {
        var status = WebRTCTransportStatus()
        var gathered: CheckedContinuation<ICELocalDescription, Never>?
        var keys: DTLSEndpoint.Keys?
        var keysConsumer: (@Sendable (DTLSEndpoint.Keys) -> Void)?
        var closed = false
        var usableAt: UInt64 = 0
        var local: ICELocalDescription?
    }
    private let state = Mutex(State())
    /// Owned by the ICE thread: the periodic timer (DTLS retransmission, handshake deadline).
    private var timer: UnsafeMutablePointer<GSource>?
    /// When the last datagram from the peer arrived (monotonic ns): written per packet on the
    /// ICE thread, so an atomic rather than `state`'s lock.
    private let lastReceivedAt = Atomic<UInt64>(0)

    /// How long a DTLS handshake may take once ICE has a pair (Janus allows 20 s).
    static let handshakeDeadlineNanoseconds: UInt64 = 20_000_000_000

    /// Creates the agent and its stream; nothing is sent until `gather`.
    /// - Parameters:
    ///   - dtlsClient: our DTLS role as known now (an offerer waits as server until the answer).
    ///   - events: reported on the ICE thread.
    public init(configuration: ICEConfiguration, controlling: Bool, dtlsClient: Bool, certificate: DTLSCertificate,
                events: @escaping @Sendable (WebRTCTransportEvent) -> Void) throws(DTLSError) {
        self.configuration = configuration
        self.controlling = controlling
        self.events = events
        fingerprint = certificate.fingerprint
        context = g_main_context_new()
        loop = g_main_loop_new(context, 0)
        let options = NICE_AGENT_OPTION_REGULAR_NOMINATION.rawValue | NICE_AGENT_OPTION_CONSENT_FRESHNESS.rawValue
        agent = nice_agent_new_full(context, NICE_COMPATIBILITY_RFC5245, NiceAgentOption(rawValue: options))
        let object = UnsafeMutableRawPointer(agent)
        // Debian's libnice would search the LAN for UPnP gateways and gather TCP candidates.
        softphoned_object_set_bool(object, "upnp", 0)
        softphoned_object_set_bool(object, "ice-tcp", configuration.iceTCP ? 1 : 0)
        // Must be set before gathering: later changes wait for an ICE restart.
        softphoned_object_set_bool(object, "controlling-mode", controlling ? 1 : 0)
        streamID = nice_agent_add_stream(agent, 1)
        do {
            // DTLS records go out on the ICE thread, straight to the selected pair.
            let agent = self.agent, streamID = self.streamID
            dtls = try DTLSEndpoint(certificate: certificate, client: dtlsClient, expectedFingerprints: []) { bytes in
                _ = nice_agent_send(agent, streamID, 1, guint(bytes.count), bytes.baseAddress?.assumingMemoryBound(to: CChar.self))
            }
        } catch {
            g_object_unref(object)
            g_main_loop_unref(loop)
            g_main_context_unref(context)
            throw error
        }
        state.withLock {
            $0.status.iceRole = controlling ? "controlling" : "controlled"
            $0.status.dtlsRole = dtlsClient ? "client" : "server"
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        nice_agent_attach_recv(agent, streamID, 1, context, WebRTCTransport.received, me)
        _ = softphoned_signal_connect(object, "component-state-changed",
                                      unsafeBitCast(WebRTCTransport.stateChanged, to: GCallback.self), me)
        _ = softphoned_signal_connect(object, "candidate-gathering-done",
                                      unsafeBitCast(WebRTCTransport.gatheringDone, to: GCallback.self), me)
        _ = softphoned_signal_connect(object, "new-selected-pair-full",
                                      unsafeBitCast(WebRTCTransport.pairSelected, to: GCallback.self), me)
        nonisolated(unsafe) let loop = self.loop
        let finished = loopFinished
        let thread = Thread {
            _ = "sp-ice".withCString { softphoned_name_current_thread($0) }
            g_main_loop_run(loop)
            finished.signal()
        }
        thread.start()
    }

    deinit {
        // Without `close` (an aborted call setup): stop the loop; callbacks still running
        // there see this object's memory until deinit returns.
        if !state.withLock({ $0.closed }) {
            g_main_loop_quit(loop)
            _ = loopFinished.wait(timeout: .now() + 2)
        }
        nice_agent_remove_stream(agent, streamID)
        g_object_unref(UnsafeMutableRawPointer(agent))
        g_main_loop_unref(loop)
        g_main_context_unref(context)
    }

    // MARK: - Signalling

    /// Gathers host, server-reflexive and relayed candidates (vanilla ICE: the SDP carries
    /// them all), waiting at most `gatherTimeoutMilliseconds`.
    public func gather() async -> ICELocalDescription {
        await withCheckedContinuation { (continuation: CheckedContinuation<ICELocalDescription, Never>) in
            state.withLock { $0.gathered = continuation; $0.status.iceState = "gathering" }
            onICEThread { me in
                me.applyServersAndInterfaces()
                me.startTimer()
                if nice_agent_gather_candidates(me.agent, me.streamID) == 0 {
                    me.finishGathering()
                    return
                }
                let timeout = g_timeout_source_new(guint(max(1, me.configuration.gatherTimeoutMilliseconds)))!
                g_source_set_callback(timeout, { user in
                    Unmanaged<WebRTCTransport>.fromOpaque(user!).takeUnretainedValue().finishGathering()
                    return 0
                }, Unmanaged.passUnretained(me).toOpaque(), nil)
                g_source_attach(timeout, me.context)
                g_source_unref(timeout)
            }
        }
    }

    /// The peer's credentials, candidates (`a=candidate:` lines; `.local` names are skipped
    /// by the caller, libnice cannot resolve them) and certificate fingerprints.
    /// - Returns: how many candidates libnice accepted.
    @discardableResult
    public func setRemote(ufrag: String, password: String, candidates: [String],
                          fingerprints: [(hashFunction: String, value: String)], endOfCandidates: Bool) -> Int {
        nice_agent_set_remote_credentials(agent, streamID, ufrag, password)
        let accepted = addRemoteCandidates(candidates)
        let fingerprints = fingerprints
        onICEThread { me in me.dtls.expectedFingerprints = fingerprints }
        if endOfCandidates { nice_agent_peer_candidate_gathering_done(agent, streamID) }
        return accepted
    }

    /// Trickled candidates (`call.candidate`), added to the running checks.
    @discardableResult
    public func addRemoteCandidates(_ lines: [String]) -> Int {
        var list: UnsafeMutablePointer<GSList>?
        for line in lines {
            let text = line.hasPrefix("a=") ? line : "a=" + line
            if let candidate = nice_agent_parse_remote_candidate_sdp(agent, streamID, text) {
                list = g_slist_append(list, candidate)
            }
        }
        guard list != nil else { return 0 }
        let added = nice_agent_set_remote_candidates(agent, streamID, 1, list)
        var node = list
        while let current = node {
            nice_candidate_free(current.pointee.data.assumingMemoryBound(to: NiceCandidate.self))
            node = current.pointee.next
        }
        g_slist_free(list)
        return Int(max(0, added))
    }

    /// The peer restarted ICE (new ufrag and password): new local credentials, the same
    /// candidates; the DTLS association and SRTP keys carry on over the new pair.
    public func restartICE() -> ICELocalDescription {
        _ = nice_agent_restart_stream(agent, streamID)
        let local = localDescription()
        state.withLock { $0.local = local }
        return local
    }

    /// We offered `actpass` and the answer says `passive`: we are the DTLS client.
    /// - Returns: false when the peer already started a handshake as client.
    public func becomeDTLSClient() async -> Bool {
        await withCheckedContinuation { continuation in
            onICEThread { me in
                let done = me.dtls.becomeClient()
                if done { me.state.withLock { $0.status.dtlsRole = "client" } }
                continuation.resume(returning: done)
            }
        }
    }

    /// The SRTP keys once DTLS has finished, delivered once to `consumer` (at once when they
    /// are already known), on the ICE thread.
    func deliverKeys(to consumer: @escaping @Sendable (DTLSEndpoint.Keys) -> Void) {
        let keys = state.withLock { state -> DTLSEndpoint.Keys? in
            if state.keys == nil { state.keysConsumer = consumer }
            return state.keys
        }
        if let keys { consumer(keys) }
    }

    public var status: WebRTCTransportStatus {
        var status = state.withLock { $0.status }
        status.lastReceivedAt = lastReceivedAt.load(ordering: .relaxed)
        return status
    }

    /// The default candidate once gathered (what the SDP's `c=` and `m=` name).
    public var localAddress: SocketAddress {
        state.withLock { state in
            state.local.flatMap { try? SocketAddress(host: $0.defaultAddress, port: $0.defaultPort) }
        } ?? (try! SocketAddress(host: "0.0.0.0", port: 9))
    }

    /// Hangup: close_notify to the peer, TURN allocations released, the ICE thread ended.
    /// Call after the media threads stopped (their RTCP BYE goes out first). Idempotent.
    public func close() {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        onICEThread { me in
            me.dtls.close()
            me.state.withLock {
                $0.status.dtlsState = me.dtls.state.rawValue
                $0.status.iceState = "closed"
            }
            if let timer = me.timer { g_source_destroy(timer); g_source_unref(timer); me.timer = nil }
            g_main_loop_quit(me.loop)
        }
        if loopFinished.wait(timeout: .now() + 2) == .timedOut { return }
        // The close_notify is out; what libnice still has queued is dropped with the stream.
    }

    // MARK: - Media threads

    /// Sends one SRTP or SRTCP datagram on the selected pair (the send thread).
    /// - Returns: 0 when sent, else -1 (no pair yet, or the socket refused it).
    @inline(__always)
    func send(_ bytes: UnsafeRawBufferPointer) -> CInt {
        nice_agent_send(agent, streamID, 1, guint(bytes.count), bytes.baseAddress?.assumingMemoryBound(to: CChar.self)) == bytes.count ? 0 : -1
    }

    /// The next received SRTP or SRTCP datagram (the receive thread).
    @inline(__always)
    func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int32) -> Int? {
        ring.pop(into: buffer, timeoutMilliseconds: timeoutMilliseconds)
    }

    // MARK: - ICE thread

    private func onICEThread(_ body: @escaping (WebRTCTransport) -> Void) {
        let box = Unmanaged.passRetained(ICEThreadWork(self, body)).toOpaque()
        g_main_context_invoke_full(context, 0, { user in
            let work = Unmanaged<ICEThreadWork>.fromOpaque(user!).takeRetainedValue()
            work.body(work.transport)
            return 0
        }, box, nil)
    }

    private func applyServersAndInterfaces() {
        let object = UnsafeMutableRawPointer(agent)
        for server in configuration.stun {
            guard let address = Self.resolve(server.host) else { continue }
            softphoned_object_set_string(object, "stun-server", address)
            softphoned_object_set_uint(object, "stun-server-port", guint(server.port))
            break
        }
        for relay in configuration.relays {
            guard let address = Self.resolve(relay.server.host) else { continue }
            let type: NiceRelayType = switch relay.transport {
            case .udp: NICE_RELAY_TYPE_TURN_UDP
            case .tcp: NICE_RELAY_TYPE_TURN_TCP
            case .tls: NICE_RELAY_TYPE_TURN_TLS
            }
            _ = nice_agent_set_relay_info(agent, streamID, 1, address, guint(relay.server.port), relay.username, relay.credential, type)
        }
        for address in Self.addresses(of: configuration.interfaces) {
            var niceAddress = NiceAddress()
            nice_address_init(&niceAddress)
            if nice_address_set_from_string(&niceAddress, address) != 0 { _ = nice_agent_add_local_address(agent, &niceAddress) }
        }
    }

    private func finishGathering() {
        guard let continuation = state.withLock({ state -> CheckedContinuation<ICELocalDescription, Never>? in
            defer { state.gathered = nil }
            return state.gathered
        }) else { return }
        let local = localDescription()
        state.withLock { $0.local = local }
        continuation.resume(returning: local)
    }

    private func localDescription() -> ICELocalDescription {
        var ufrag: UnsafeMutablePointer<gchar>?
        var password: UnsafeMutablePointer<gchar>?
        _ = nice_agent_get_local_credentials(agent, streamID, &ufrag, &password)
        defer { g_free(ufrag); g_free(password) }
        var lines: [String] = []
        var address = "0.0.0.0"
        var port: UInt16 = 9
        var relayDefault: (String, UInt16)?
        let list = nice_agent_get_local_candidates(agent, streamID, 1)
        var node = list
        while let current = node {
            let candidate = current.pointee.data.assumingMemoryBound(to: NiceCandidate.self)
            let relayed = candidate.pointee.type == NICE_CANDIDATE_TYPE_RELAYED
            if relayed && relayDefault == nil {
                relayDefault = (Self.text(of: &candidate.pointee.addr), UInt16(truncatingIfNeeded: nice_address_get_port(&candidate.pointee.addr)))
            }
            if relayed || !configuration.relayOnly, let sdp = nice_agent_generate_local_candidate_sdp(agent, candidate) {
                lines.append(String(cString: sdp))
                g_free(sdp)
            }
            nice_candidate_free(candidate)
            node = current.pointee.next
        }
        g_slist_free(list)
        if configuration.relayOnly {
            if let relayDefault { (address, port) = relayDefault }
        } else if let candidate = nice_agent_get_default_local_candidate(agent, streamID, 1) {
            address = Self.text(of: &candidate.pointee.addr)
            port = UInt16(truncatingIfNeeded: nice_address_get_port(&candidate.pointee.addr))
            nice_candidate_free(candidate)
        }
        return ICELocalDescription(ufrag: ufrag.map { String(cString: $0) } ?? "", password: password.map { String(cString: $0) } ?? "",
                                   candidates: lines, defaultAddress: address, defaultPort: port)
    }

    /// Every 20 ms until DTLS is done: OpenSSL's retransmission timer, and the deadline.
    private func startTimer() {
        guard timer == nil, let source = g_timeout_source_new(20) else { return }
        g_source_set_callback(source, { user in
            Unmanaged<WebRTCTransport>.fromOpaque(user!).takeUnretainedValue().tick() ? 1 : 0
        }, Unmanaged.passUnretained(self).toOpaque(), nil)
        g_source_attach(source, context)
        timer = source
    }

    /// - Returns: whether the timer should keep running.
    private func tick() -> Bool {
        dtls.tick()
        let usableAt = state.withLock { $0.usableAt }
        if dtls.state == .failed {
            report(failure: dtls.failure ?? "the DTLS handshake failed", consentLost: false)
            return false
        }
        if dtls.state == .connected || dtls.state == .closed { return false }
        if usableAt != 0 && MonotonicClock.now() - usableAt > Self.handshakeDeadlineNanoseconds {
            dtls.fail("no DTLS handshake within 20 s of ICE connecting")
            report(failure: dtls.failure!, consentLost: false)
            return false
        }
        return true
    }

    fileprivate func handleDatagram(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        switch first {
        case 128...191:
            ring.push(bytes)
            lastReceivedAt.store(MonotonicClock.now(), ordering: .relaxed)
        case 20...63:
            lastReceivedAt.store(MonotonicClock.now(), ordering: .relaxed)
            let before = dtls.state
            if let keys = dtls.receive(bytes) {
                connected(with: keys)
            } else if dtls.state == .failed && before != .failed {
                report(failure: dtls.failure ?? "the DTLS handshake failed", consentLost: false)
            } else if dtls.state == .closed && before == .connected {
                state.withLock { $0.status.dtlsState = "closed"; $0.status.failure = dtls.failure }
                events(.closedByPeer)
            } else {
                state.withLock { $0.status.dtlsState = dtls.state.rawValue }
            }
        default:
            // ZRTP (16–19) and anything else RFC 7983 leaves unassigned: dropped.
            break
        }
    }

    private func connected(with keys: DTLSEndpoint.Keys) {
        let consumer = state.withLock { state -> (@Sendable (DTLSEndpoint.Keys) -> Void)? in
            state.keys = keys
            state.status.dtlsState = "connected"
            state.status.dtlsRole = dtls.isClient ? "client" : "server"
            state.status.srtpProfile = dtls.profileName
            state.status.srtpSuite = keys.suite.rawValue
            if state.usableAt != 0 { state.status.handshakeNanoseconds = MonotonicClock.now() - state.usableAt }
            defer { state.keysConsumer = nil }
            return state.keysConsumer
        }
        consumer?(keys)
        events(.connected)
    }

    private func report(failure: String, consentLost: Bool) {
        state.withLock {
            $0.status.failure = failure
            $0.status.dtlsState = dtls.state.rawValue
        }
        events(.failed(reason: failure, consentLost: consentLost))
    }

    fileprivate func componentStateChanged(_ value: guint) {
        let name: String
        switch value {
        case NICE_COMPONENT_STATE_GATHERING.rawValue: name = "gathering"
        case NICE_COMPONENT_STATE_CONNECTING.rawValue: name = "connecting"
        case NICE_COMPONENT_STATE_CONNECTED.rawValue: name = "connected"
        case NICE_COMPONENT_STATE_READY.rawValue: name = "ready"
        case NICE_COMPONENT_STATE_FAILED.rawValue: name = "failed"
        default: name = "disconnected"
        }
        let wasUsable = state.withLock { state -> Bool in
            let was = state.usableAt != 0
            if state.status.iceState != "closed" { state.status.iceState = name }
            if (name == "connected" || name == "ready") {
                state.status.consent = "fresh"
                if state.usableAt == 0 { state.usableAt = MonotonicClock.now() }
            }
            if name == "failed" && was { state.status.consent = "lost" }
            return was
        }
        switch name {
        case "connected", "ready":
            dtls.transportIsReady()
            state.withLock { $0.status.dtlsState = dtls.state.rawValue }
        case "failed":
            let reason = wasUsable ? "the far end stopped answering ICE consent checks (RFC 7675)" : "ICE found no working candidate pair"
            dtls.fail(reason)
            report(failure: reason, consentLost: wasUsable)
        default:
            break
        }
    }

    fileprivate func pairSelected(local: UnsafeMutablePointer<NiceCandidate>, remote: UnsafeMutablePointer<NiceCandidate>) {
        let localText = Self.describe(local), remoteText = Self.describe(remote)
        state.withLock {
            $0.status.localCandidate = localText
            $0.status.remoteCandidate = remoteText
        }
    }

    // MARK: - C callbacks (context through the user-data pointer)

    private static let received: NiceAgentRecvFunc = { _, _, _, length, buffer, user in
        guard let user, let buffer else { return }
        Unmanaged<WebRTCTransport>.fromOpaque(user).takeUnretainedValue()
            .handleDatagram(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
    }

    private static let stateChanged: @convention(c) (OpaquePointer?, guint, guint, guint, gpointer?) -> Void = { _, _, _, value, user in
        guard let user else { return }
        Unmanaged<WebRTCTransport>.fromOpaque(user).takeUnretainedValue().componentStateChanged(value)
    }

    private static let gatheringDone: @convention(c) (OpaquePointer?, guint, gpointer?) -> Void = { _, _, user in
        guard let user else { return }
        Unmanaged<WebRTCTransport>.fromOpaque(user).takeUnretainedValue().finishGathering()
    }

    private static let pairSelected: @convention(c) (OpaquePointer?, guint, guint, UnsafeMutablePointer<NiceCandidate>?,
                                                     UnsafeMutablePointer<NiceCandidate>?, gpointer?) -> Void = { _, _, _, local, remote, user in
        guard let user, let local, let remote else { return }
        Unmanaged<WebRTCTransport>.fromOpaque(user).takeUnretainedValue().pairSelected(local: local, remote: remote)
    }

    // MARK: - Addresses

    private static func describe(_ candidate: UnsafeMutablePointer<NiceCandidate>) -> String {
        let type = switch candidate.pointee.type {
        case NICE_CANDIDATE_TYPE_HOST: "host"
        case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: "srflx"
        case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: "prflx"
        case NICE_CANDIDATE_TYPE_RELAYED: "relay"
        default: "unknown"
        }
        let transport = candidate.pointee.transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp"
        let address = text(of: &candidate.pointee.addr)
        let port = nice_address_get_port(&candidate.pointee.addr)
        return "\(type) \(transport) \(address.contains(":") ? "[\(address)]" : address):\(port)"
    }

    private static func text(of address: UnsafeMutablePointer<NiceAddress>) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        nice_address_to_string(address, &buffer)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A STUN/TURN server's numeric address (libnice takes no names): IPv4 first.
    static func resolve(_ host: String) -> String? {
        if IPAddressLiteral.isIPv4(host) || IPAddressLiteral.isIPv6(host) { return host }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        var chosen: String?
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if current.pointee.ai_family == AF_INET { return text }
                if chosen == nil { chosen = text }
            }
            node = current.pointee.ai_next
        }
        return chosen
    }

    /// The IPv4 and global IPv6 addresses of the named interfaces (`lo` included if named).
    static func addresses(of interfaces: [String]) -> [String] {
        guard !interfaces.isEmpty else { return [] }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var result: [String] = []
        var node = list
        while let current = node {
            defer { node = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr, interfaces.contains(String(cString: current.pointee.ifa_name)) else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // Link-local IPv6 needs a scope the SDP cannot carry.
            if text.lowercased().hasPrefix("fe80") { continue }
            result.append(text)
        }
        return result
    }
}

/// A closure to run on the ICE thread, kept alive until it has run.
private final class ICEThreadWork {
    let transport: WebRTCTransport
    let body: (WebRTCTransport) -> Void
    init(_ transport: WebRTCTransport, _ body: @escaping (WebRTCTransport) -> Void) {
        self.transport = transport
        self.body = body
    }
}
