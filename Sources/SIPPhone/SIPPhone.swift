internal import CSofiaSIP
import CallControl
import Foundation
import Logging
import MediaCore
import Synchronization

/// softphoned's SIP user agent (SPEC §5c): a front end of the call core, as the control
/// socket is. It registers the AOR, turns INVITEs into the core's steps (prepare the answer
/// → 180, answer → 200 and media, ACK), far-end re-INVITEs into the core's renegotiation
/// (so the mute state is never touched), and the core's end of a call into BYE/CANCEL.
///
/// Its events (`registration`, `incomingCall`, `callProgress`) go on the core's event hub
/// as `PhoneEvent`s; the core's own `callEnded` carries a SIP call's end with its status.
public actor SIPPhone: PhoneLine {
    public nonisolated let settings: SIPSettings
    let calls: CallController
    let events: CallEventHub
    let logger: Logger
    private var stack: SofiaStack?
    private nonisolated let published = Mutex(PhoneStatus(registration: nil, call: nil, listening: []))
    private var eventTask: Task<Void, Never>?
    private var coreTask: Task<Void, Never>?

    // Registration
    private var registration: SofiaStack.Handle?
    private var registrationStatus: RegistrationStatus?
    private var challengeAnswered = false
    private var retryTask: Task<Void, Never>?
    private var failures = 0
    private var stopping = false

    // The line's one call
    private var line: LineCall?
    private var autoAnswerTask: Task<Void, Never>?
    /// The final response to our re-INVITE or UPDATE, awaited by `sendInDialog`.
    private var reinviteWaiter: CheckedContinuation<SofiaEvent?, Never>?
    /// One re-INVITE or UPDATE of ours at a time (hold, resume, a session refresh).
    private var ownRequestInFlight = false
    /// Our next session refresh (RFC 4028), when we are the refresher.
    private var refreshTask: Task<Void, Never>?

    /// The call on the line, with what its dialog needs.
    struct LineCall {
        var handle: SofiaStack.Handle
        var id: CallID
        var info: PhoneCall
        /// Incoming, ringing: the answer to send with 200. Late offer: our offer instead.
        var answerSDP: String?
        var lateOffer = false
        /// The last SDP we sent in this dialog (for an offerless re-INVITE).
        var localSDP: String?
        var answered = false
        var challengeAnswered = false
        /// softphoned holds the call (`call.hold`), as opposed to the far end holding it.
        var weHold = false
        /// The session timer (RFC 4028) the last exchange set, and when.
        var sessionTimer: SIPHeaders.SessionTimer?
        var sessionTimerSince = ContinuousClock.now
        /// The far end has said it supports `timer`, or allows UPDATE, in this dialog.
        var peerSupportsTimer = false
        var peerAllowsUpdate = false
        /// The initial INVITE's timer, set once it is answered.
        var offeredTimer: SIPHeaders.SessionTimer?
    }

    public init(settings: SIPSettings, calls: CallController, events: CallEventHub, logger: Logger) {
        self.settings = settings
        self.calls = calls
        self.events = events
        self.logger = logger
    }

    public nonisolated var status: PhoneStatus { published.withLock { $0 } }

    // MARK: Life

    /// Binds the transports, starts the stack's thread, registers.
    public func start() throws(CallError) {
        let (stream, continuation) = AsyncStream<SofiaEvent>.makeStream()
        let parameters = try stackParameters()
        let headerNames = Self.headerNames(conversationHeader: settings.conversationHeader)
        do {
            stack = try SofiaStack(parameters: parameters, headerNames: headerNames) { continuation.yield($0) }
        } catch {
            throw CallError(code: .internalError, message: error.description)
        }
        eventTask = Task { [weak self] in
            for await event in stream { await self?.handle(event) }
        }
        let coreEvents = events.subscribe()
        coreTask = Task { [weak self] in
            for await event in coreEvents {
                if case .call(.ended(let id, _, _)) = event { await self?.coreEnded(id) }
            }
        }
        published.withLock { $0.listening = settings.listen.map(\.description) }
        if settings.tlsVerify == false { logger.warning("sip.tls-verify is false: the registrar's TLS certificate is not checked") }
        if !settings.aor.isEmpty, !settings.usesTLS {
            // SPEC §5c wants SDES keys on TLS only; without plain RTP the call would be
            // impossible, so the keys go in clear SIP and the operator is told at every start.
            logger.warning("the registrar is not reached over TLS: SRTP keys (SDES) travel in clear SIP messages; use a sips: registrar",
                           metadata: ["registrar": "\(settings.registrarURI)"])
        }
        logger.info("SIP user agent started", metadata: ["aor": "\(settings.aor)", "listen": "\(settings.listen.map(\.description))"])
        if !settings.aor.isEmpty { Task { await register() } }
    }

    /// Ends the call (BYE), removes the registration (REGISTER Expires: 0), stops the stack —
    /// within `timeout`.
    public func stop(timeout: Duration = .milliseconds(1500)) async {
        stopping = true
        retryTask?.cancel()
        autoAnswerTask?.cancel()
        if let line { _ = await calls.end(line.id, reason: .hangup) }
        await stack?.shutdown(timeout: timeout)
        stack = nil
        eventTask?.cancel()
        coreTask?.cancel()
        if let status = registrationStatus, status.state != .unregistered {
            setRegistration(.unregistered, reason: nil, expiresIn: nil)
        }
    }

    private func stackParameters() throws(CallError) -> [SofiaTag] {
        var tags: [SofiaTag] = [.mediaEnable(false), .autoAlert(false), .autoAnswer(false), .enableInvite(true),
                                .userAgent("softphoned"), .allow("INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO"),
                                .applicationMethod("INFO, UPDATE"), .supported("timer, outbound, path"),
                                .minSE(UInt32(SIPHeaders.minimumSessionInterval))]
        let plain = settings.listen.filter { $0.transport != .tls }
        if !plain.isEmpty {
            // UDP and TCP share one address; sofia binds both when the URL names no transport.
            let host = plain.first { $0.host != nil }?.host ?? "*"
            let port = plain.first { $0.port != nil }?.port.map(String.init) ?? "*"
            let only = Set(plain.map(\.transport)).count == 1 ? ";transport=\(plain[0].transport.rawValue)" : ""
            tags.append(.url("sip:\(bracketed(host)):\(port)\(only)"))
        }
        // TLS only toward a TLS registrar or proxy: softphoned holds no server certificate, so
        // a TLS listener would only put an unreachable `sips:` Contact on its requests.
        if settings.usesTLS, let tls = settings.listen.first(where: { $0.transport == .tls }) {
            tags.append(.sipsURL("sips:\(bracketed(tls.host ?? "*")):\(tls.port.map(String.init) ?? "*")"))
            tags.append(.certificateDirectory(try tlsDirectory()))
            // The chain against the CA, and the name against the host connected to.
            tags.append(.tlsVerifyPolicy(settings.tlsVerify ? csip_tls_verify_out_subjects() : csip_tls_verify_none()))
        }
        if let proxy = settings.effectiveOutboundProxy { tags.append(.proxy(proxy)) }
        if settings.keepaliveSeconds > 0 {
            tags.append(.keepalive(UInt32(settings.keepaliveSeconds * 1000)))
            tags.append(.keepaliveStream(UInt32(settings.keepaliveSeconds * 1000)))
        }
        // "no-validate": without it sofia sends OPTIONS to its own AOR at the domain's port.
        tags.append(.outbound("no-validate, options-keepalive"))
        // Session timers: none asked for, the far end's honoured (see `armSessionTimer`).
        tags.append(.sessionTimer(0))
        return tags
    }

    private func bracketed(_ host: String) -> String { host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host }

    /// sofia reads its CA from a directory (`cafile.pem`): one of our own, holding the
    /// configured CA file or the system's store.
    private func tlsDirectory() throws(CallError) -> String {
        let source = settings.tlsCAFile.isEmpty ? "/etc/ssl/certs/ca-certificates.crt" : settings.tlsCAFile
        let directory = (settings.runtimeDirectory as NSString).appendingPathComponent("sip-tls-\(getpid())")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let target = (directory as NSString).appendingPathComponent("cafile.pem")
            try? FileManager.default.removeItem(atPath: target)
            if FileManager.default.fileExists(atPath: source) { try FileManager.default.copyItem(atPath: source, toPath: target) }
        } catch {
            throw CallError(code: .internalError, message: "sip: cannot prepare the TLS directory \(directory): \(error.localizedDescription)")
        }
        return directory
    }

    // MARK: Registration

    private func register() async {
        guard !stopping else { return }
        let aor = settings.aor
        let registrar = settings.registrarURI
        let user = settings.addressOfRecord?.user ?? ""
        let expires = settings.expires
        challengeAnswered = false
        setRegistration(.registering, reason: registrationStatus?.reason, expiresIn: nil)
        let existing = registration
        registration = await onStack { stack in
            guard let handle = existing ?? stack.makeHandle([.to(aor), .from(aor)]) else { return nil }
            stack.call(handle, [.registrar(registrar), .expires(String(expires)), .contactUser(user)]) { csipRegister($0, $1) }
            return handle
        } ?? nil
    }

    /// Runs `job` on the stack's thread and waits for its result; nil when the stack is gone.
    private func onStack<T: Sendable>(_ job: @escaping @Sendable (SofiaStack) -> T) async -> T? {
        guard let stack else { return nil }
        return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            if !stack.post({ continuation.resume(returning: job($0)) }) { continuation.resume(returning: nil) }
        }
    }

    private func registrationResponse(_ event: SofiaEvent) {
        guard event.status >= 200 else { return }
        let reason = "\(event.status) \(event.phrase)"
        switch event.status {
        case 200..<300:
            challengeAnswered = false
            failures = 0
            let expires = event.message.contactExpires.flatMap { Int($0) } ?? event.message.expires ?? settings.expires
            setRegistration(.registered, reason: nil, expiresIn: expires, contact: event.message.contact)
        case 401, 407:
            guard !challengeAnswered, let auth = authString(for: event.message) else {
                setRegistration(.failed, reason: "\(reason): the registrar refused the credentials (not retried with the same ones)",
                                expiresIn: nil)
                return
            }
            challengeAnswered = true
            let handle = event.handle
            stack?.post { stack in stack.call(handle, [.auth(auth)]) { csipAuthenticate($0, $1) } }
        case 403:
            setRegistration(.failed, reason: "\(reason): the registrar forbids this account (not retried)", expiresIn: nil)
        default:
            failures += 1
            let backoff = min(60.0, pow(2.0, Double(min(failures - 1, 6))))
            let delay = max(Double(event.message.retryAfter ?? 0), Double.random(in: 0...backoff), 1.0)
            setRegistration(.failed, reason: "\(reason); retrying in \(Int(delay.rounded())) s", expiresIn: nil)
            retryTask?.cancel()
            retryTask = Task { [weak self] in
                try? await Task.sleep(for: .seconds(delay))
                guard !Task.isCancelled else { return }
                await self?.register()
            }
        }
    }

    /// `Digest:"realm":user:password` for the challenge in `message`; nil without a password or realm.
    private func authString(for message: SIPMessage) -> String? {
        guard let password = settings.password else { return nil }
        guard let realm = Self.challengeRealm(message) else { return nil }
        return "Digest:\(realm):\(settings.digestUser):\(password)"
    }

    private func setRegistration(_ state: RegistrationState, reason: String?, expiresIn: Int?, contact: String? = nil) {
        let status = RegistrationStatus(state: state, reason: reason, expiresIn: expiresIn, aor: settings.aor,
                                        registrar: settings.registrarURI, contact: contact ?? registrationStatus?.contact)
        let changed = registrationStatus?.state != state || registrationStatus?.reason != reason
        registrationStatus = status
        published.withLock { $0.registration = status }
        if changed {
            logger.info("SIP registration", metadata: ["state": "\(state.rawValue)", "reason": "\(reason ?? "")"])
            events.publish(.phone(.registration(status)))
        }
    }

    // MARK: Events from the stack

    private func handle(_ event: SofiaEvent) async {
        switch event.kind {
        case .registerResponse:
            if registration == event.handle { registrationResponse(event) }
        case .unregisterResponse:
            break
        case .incomingInvite:
            await incomingInvite(event)
        case .incomingACK:
            await incomingACK(event)
        case .incomingCancel:
            guard let line, line.handle == event.handle else { return }
            await endLine(reason: .cancelled, status: nil)
        case .incomingBye:
            guard let line, line.handle == event.handle else { return }
            await endLine(reason: .bye, status: nil)
        case .incomingUpdate:
            await incomingUpdate(event)
        case .incomingInfo:
            incomingInfo(event)
        case .inviteResponse:
            await inviteResponse(event)
        case .terminated:
            if let line, line.handle == event.handle { await endLine(reason: endedByStack(line, otherwise: .bye), status: nil) }
            if event.handle != registration { stack?.post { $0.destroy(event.handle) } }
        case .state:
            if event.callState == .terminated, let line, line.handle == event.handle {
                await endLine(reason: line.answered ? endedByStack(line, otherwise: .bye) : .cancelled, status: nil)
            }
        case .outbound:
            if event.status >= 300 { logger.warning("SIP flow", metadata: ["status": "\(event.status) \(event.phrase)"]) }
        case .updateResponse:
            if line?.handle == event.handle, event.status >= 200 { await answerWaiter(event) }
        case .byeResponse:
            // A BYE the stack sent by itself: the session timer ran out, or the dialog failed.
            if let line, line.handle == event.handle {
                let reason = endedByStack(line, otherwise: .failed)
                await endLine(reason: reason, status: reason == .timeout ? 408 : nil)
            }
        case .cancelResponse, .infoResponse, .incomingOptions, .other:
            break
        }
    }

    private func incomingInvite(_ event: SofiaEvent) async {
        let message = event.message
        if let line, line.handle == event.handle {
            await reInvite(event, line: line)
            return
        }
        if line != nil || stopping {
            respond(event.handle, 486)
            return
        }
        let from = message.from
        let info = PhoneCall(id: CallID(rawValue: 0), state: "ringing", direction: .incoming, remote: from, callID: message.callID,
                             from: from, to: message.to, display: message.fromDisplay)
        let context = PlatformCallContext(conversationID: Self.conversationID(message, header: settings.conversationHeader))
        let description: CallDescription
        var lateOffer = false
        do throws(CallError) {
            if let offer = message.body, message.contentType?.lowercased().hasPrefix("application/sdp") ?? true {
                description = try await calls.prepareAnswer(to: offer, context: context)
            } else {
                lateOffer = true
                description = try await calls.offer()
            }
        } catch {
            if error.code == .badSDP {
                respond(event.handle, 488, [.warning(SIPHeaders.warning(error.message))])
            } else if error.code == .callAlreadyActive {
                respond(event.handle, 486)
            } else {
                respond(event.handle, 500, [.warning(SIPHeaders.warning(error.message))])
            }
            logger.notice("incoming call refused", metadata: ["from": "\(from)", "error": "\(error.message)"])
            return
        }
        var call = info
        call.id = description.id
        line = LineCall(handle: event.handle, id: description.id, info: call, answerSDP: description.sdp, lateOffer: lateOffer)
        noteSessionTimer(in: message, weAnswered: true, at: event.at, arm: false)
        publishCall()
        respond(event.handle, 180)
        let delay: Int? = switch settings.autoAnswer {
        case .off: nil
        case .always: 0
        case .header: Self.autoAnswerDelay(message)
        }
        events.publish(.phone(.incomingCall(call, autoAnswer: delay != nil)))
        logger.info("incoming call", metadata: ["from": "\(from)", "callId": "\(message.callID)", "autoAnswer": "\(delay.map { "\($0) s" } ?? "no")"])
        if let delay {
            let id = description.id
            autoAnswerTask = Task { [weak self] in
                if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
                guard !Task.isCancelled else { return }
                _ = try? await self?.answer(id)
            }
        }
    }

    /// The far end's re-INVITE: the core renegotiates the running call in place.
    private func reInvite(_ event: SofiaEvent, line: LineCall) async {
        guard let offer = event.message.body else {
            // An offerless re-INVITE (a session refresh): our current description is the offer.
            respond(event.handle, 200, line.localSDP.map { SofiaTag.body($0, type: "application/sdp") } ?? [])
            noteSessionTimer(in: event.message, weAnswered: true, at: event.at)
            return
        }
        do throws(CallError) {
            let answer = try await calls.accept(sdp: offer)
            self.line?.localSDP = answer
            respond(event.handle, 200, SofiaTag.body(answer, type: "application/sdp"))
            noteSessionTimer(in: event.message, weAnswered: true, at: event.at)
            publishCall()
        } catch {
            respond(event.handle, 488, [.warning(SIPHeaders.warning(error.message))])
        }
    }

    private func incomingUpdate(_ event: SofiaEvent) async {
        guard let line, line.handle == event.handle, let offer = event.message.body else {
            // An UPDATE without a body: a session refresh.
            respond(event.handle, 200, request: event.request)
            if line?.handle == event.handle { noteUpdate(event.message, at: event.at) }
            return
        }
        do throws(CallError) {
            let answer = try await calls.accept(sdp: offer)
            self.line?.localSDP = answer
            respond(event.handle, 200, SofiaTag.body(answer, type: "application/sdp"), request: event.request)
            noteUpdate(event.message, at: event.at)
            publishCall()
        } catch {
            respond(event.handle, 488, [.warning(SIPHeaders.warning(error.message))], request: event.request)
        }
    }

    private func incomingACK(_ event: SofiaEvent) async {
        guard let line, line.handle == event.handle else { return }
        // A late offer's answer comes in the ACK.
        if line.lateOffer, line.answered, let answer = event.message.body {
            do throws(CallError) {
                _ = try await calls.answer(sdp: answer)
                self.line?.lateOffer = false
                setPhase("connected")
            } catch {
                logger.notice("the answer in the ACK cannot be used; ending the call", metadata: ["error": "\(error.message)"])
                await hangupLine()
            }
        }
    }

    private func incomingInfo(_ event: SofiaEvent) {
        guard let line, line.handle == event.handle else {
            respond(event.handle, 481, request: event.request)
            return
        }
        guard event.message.contentType?.lowercased() == "application/dtmf-relay", let body = event.message.body,
              let dtmf = SIPHeaders.dtmfRelay(body) else {
            respond(event.handle, 415, request: event.request)
            return
        }
        respond(event.handle, 200, request: event.request)
        events.publish(.call(.dtmf(line.id, digit: dtmf.digit, durationMilliseconds: dtmf.durationMilliseconds)))
    }

    private func inviteResponse(_ event: SofiaEvent) async {
        if reinviteWaiter != nil, line?.handle == event.handle, line?.answered == true {
            if event.status >= 200 { await answerWaiter(event) }
            return
        }
        guard var line, line.handle == event.handle, line.info.direction == .outgoing else { return }
        if line.info.callID.isEmpty, !event.message.callID.isEmpty {
            line.info.callID = event.message.callID
            self.line = line
            publishCall()
        }
        switch event.status {
        case 180, 181, 182, 183:
            let state = event.status == 183 ? "early" : "ringing"
            setPhase(state)
            events.publish(.phone(.callProgress(self.line!.info, status: event.status)))
        case 200..<300:
            guard !line.answered else { return }
            line.answered = true
            self.line = line
            guard let answer = event.message.body else {
                logger.notice("the far end answered without SDP; ending the call")
                await hangupLine()
                return
            }
            do throws(CallError) {
                _ = try await calls.answer(sdp: answer)
                setPhase("connected")
                noteSessionTimer(in: event.message, weAnswered: false, at: event.at)
            } catch {
                logger.notice("the far end's answer cannot be used; ending the call", metadata: ["error": "\(error.message)"])
                await hangupLine()
            }
        case 401, 407:
            guard !line.challengeAnswered, let auth = authString(for: event.message) else {
                await endLine(reason: .failed, status: event.status)
                return
            }
            line.challengeAnswered = true
            self.line = line
            let handle = line.handle
            stack?.post { stack in stack.call(handle, [.auth(auth)]) { csipAuthenticate($0, $1) } }
        case 300...:
            let reason: CallEndReason = switch event.status {
            case 486, 600: .busy
            case 408, 480, 487: .unanswered
            default: .failed
            }
            await endLine(reason: reason, status: event.status)
        default:
            break
        }
    }

    /// Hands the final response to our re-INVITE or UPDATE to its waiter. A 408 or 481 (the far
    /// end has lost the dialog, RFC 3261 §12.2.1.2) ends the call here, before the stack's own
    /// end of the dialog arrives and reads as the far end's BYE.
    private func answerWaiter(_ event: SofiaEvent) async {
        guard let waiter = reinviteWaiter else { return }
        reinviteWaiter = nil
        waiter.resume(returning: event)
        if event.status == 408 || event.status == 481 { await endLine(reason: .failed, status: event.status) }
    }

    /// The core ended call `id` (media timeout, RTCP BYE, another front end's hangup): the
    /// dialog follows.
    private func coreEnded(_ id: CallID) async {
        guard line?.id == id, let line = clearLine() else { return }
        sendEnd(line)
    }

    // MARK: Requests from front ends

    public func dial(_ target: String) async throws(CallError) -> PhoneCall { try await dial(target, headers: []) }

    /// Places a call with extra header lines (`Name: value`), e.g. an auto-answer request.
    public func dial(_ target: String, headers: [String]) async throws(CallError) -> PhoneCall {
        guard stack != nil else { throw CallError(code: .notRegistered, message: "SIP is not enabled (sip.enabled)") }
        if !settings.aor.isEmpty, registrationStatus?.state != .registered {
            throw CallError(code: .notRegistered, message: "SIP is not registered (\(registrationStatus?.reason ?? registrationStatus?.state.rawValue ?? "not started"))")
        }
        guard line == nil else { throw CallError(code: .callAlreadyActive, message: "a SIP call is already on the line") }
        let uri = try requestURI(target)
        let offer = try await calls.offer(transport: .sdes)
        let from = settings.aor.isEmpty ? "sip:softphoned@\(localHost)" : settings.aor
        let info = PhoneCall(id: offer.id, state: "calling", direction: .outgoing, remote: uri, callID: "", from: from, to: uri,
                             display: nil)
        let made = await onStack { stack in
            let handle = stack.makeHandle([.to(uri), .from(from)])
            if let handle {
                stack.call(handle, headers.map(SofiaTag.header) + SofiaTag.body(offer.sdp, type: "application/sdp")) { csipInvite($0, $1) }
            }
            return handle
        }
        guard let handle = made ?? nil else {
            await calls.end(offer.id, reason: .failed)
            throw CallError(code: .internalError, message: "the SIP stack cannot place a call to \(uri)")
        }
        line = LineCall(handle: handle, id: offer.id, info: info, localSDP: offer.sdp)
        publishCall()
        logger.info("dialling", metadata: ["to": "\(uri)"])
        return info
    }

    public func answer() async throws(CallError) -> PhoneCall {
        guard let line, line.info.direction == .incoming, !line.answered else {
            throw CallError(code: .noActiveCall, message: "no incoming call is ringing")
        }
        return try await answer(line.id)
    }

    private func answer(_ id: CallID) async throws(CallError) -> PhoneCall {
        guard var line, line.id == id, !line.answered, let sdp = line.answerSDP else {
            throw CallError(code: .noActiveCall, message: "no incoming call is ringing")
        }
        autoAnswerTask?.cancel()
        line.answered = true
        line.localSDP = sdp
        self.line = line
        respond(line.handle, 200, SofiaTag.body(sdp, type: "application/sdp"))
        armSessionTimer(line.offeredTimer, since: .now)
        if !line.lateOffer {
            // Media starts with the 200; the ACK confirms it.
            do throws(CallError) { _ = try await calls.startMedia(id) } catch {
                await hangupLine()
                throw error
            }
            setPhase("connected")
        }
        logger.info("call answered", metadata: ["callId": "\(line.info.callID)"])
        return self.line?.info ?? line.info
    }

    public func reject(status: Int) async throws(CallError) {
        guard let line, line.info.direction == .incoming, !line.answered else {
            throw CallError(code: .noActiveCall, message: "no incoming call is ringing")
        }
        guard status == 486 || status == 603 else { throw CallError(code: .invalidArgument, message: "code must be 486 or 603") }
        respond(line.handle, status)
        await endLine(reason: .rejected, status: status, sendSignal: false)
    }

    public func hangup() async -> Bool {
        guard line != nil else { return false }
        await hangupLine()
        return true
    }

    public func hold() async throws(CallError) -> PhoneCall {
        try await takeRequestSlot()
        defer { ownRequestInFlight = false }
        return try await reinvite(hold: true)
    }

    public func resume() async throws(CallError) -> PhoneCall {
        try await takeRequestSlot()
        defer { ownRequestInFlight = false }
        return try await reinvite(hold: false)
    }

    /// Waits (up to 10 s) until no re-INVITE or UPDATE of ours is in progress, then takes the
    /// turn; the caller gives it back with `ownRequestInFlight = false`.
    private func takeRequestSlot() async throws(CallError) {
        let deadline = ContinuousClock.now + .seconds(10)
        while ownRequestInFlight {
            guard ContinuousClock.now < deadline else {
                throw CallError(code: .callAlreadyActive, message: "another re-INVITE or UPDATE of ours is still in progress")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        ownRequestInFlight = true
    }

    /// Sends our re-INVITE with `offer`, or an UPDATE without a body when `offer` is nil, and
    /// waits for its final response; nil when the stack is stopping or the call ended.
    private func sendInDialog(_ handle: SofiaStack.Handle, offer: String?) async -> SofiaEvent? {
        await withCheckedContinuation { (continuation: CheckedContinuation<SofiaEvent?, Never>) in
            reinviteWaiter = continuation
            let posted = stack?.post { stack in
                if let offer {
                    stack.call(handle, SofiaTag.body(offer, type: "application/sdp")) { csipInvite($0, $1) }
                } else {
                    stack.call(handle, []) { csipUpdate($0, $1) }
                }
            } ?? false
            if !posted {
                reinviteWaiter = nil
                continuation.resume(returning: nil)
            }
        }
    }

    /// Our own re-INVITE (hold: `sendonly`, resume: `sendrecv`), retried after 491 (glare) at
    /// RFC 3261 §14.1's random delay, at most twice. The caller holds the request slot.
    private func reinvite(hold: Bool) async throws(CallError) -> PhoneCall {
        guard let line, line.answered, !line.lateOffer else { throw CallError(code: .noActiveCall, message: "no answered SIP call") }
        for attempt in 0..<3 {
            let offer = try await calls.reoffer(hold: hold)
            guard let response = await sendInDialog(line.handle, offer: offer) else {
                await calls.abandonReoffer()
                throw CallError(code: .internalError, message: "the SIP stack is stopping")
            }
            switch response.status {
            case 200..<300:
                guard let answer = response.message.body else {
                    await calls.abandonReoffer()
                    throw CallError(code: .farEndRefused, message: "the far end answered the re-INVITE without SDP")
                }
                let summary = try await calls.completeReoffer(answer: answer)
                self.line?.localSDP = offer
                self.line?.weHold = hold
                setPhase(summary.direction == .sendrecv ? "connected" : "held")
                noteSessionTimer(in: response.message, weAnswered: false, at: response.at)
                return self.line?.info ?? line.info
            case 491 where attempt < 2:
                await calls.abandonReoffer()
                // We did not make the Call-ID (incoming): 0–2 s; we did: 2.1–4 s.
                let range = line.info.direction == .outgoing ? 2.1...4.0 : 0.0...2.0
                try? await Task.sleep(for: .seconds(Double.random(in: range)))
            case 408, 481:
                // The call has ended (`answerWaiter`).
                await calls.abandonReoffer()
                throw CallError(code: .farEndRefused, message: "the far end no longer knows the call: \(response.status) \(response.phrase)")
            default:
                await calls.abandonReoffer()
                throw CallError(code: .farEndRefused, message: "the far end refused the re-INVITE: \(response.status) \(response.phrase)")
            }
        }
        throw CallError(code: .farEndRefused, message: "the far end kept answering 491 Request Pending")
    }

    /// SIP INFO when `sip.dtmf: info`, or when the SDP agreed no telephone-event; otherwise
    /// RFC 4733 in the media.
    public func sendDigits(_ digits: DTMFDigits) async throws(CallError) -> Int? {
        guard let line else { return nil }
        guard line.answered else { throw CallError(code: .noActiveCall, message: "the call is not answered yet") }
        if settings.dtmf == .rfc4733 {
            do { return try await calls.dtmf(digits) } catch where error.code == .badSDP {
                logger.info("no telephone-event agreed; sending the digits as SIP INFO")
            }
        }
        let bodies = digits.events.compactMap(TelephoneEvent.digit(for:)).map { SIPHeaders.dtmfRelayBody(digit: $0, durationMilliseconds: digits.durationMilliseconds) }
        stack?.post { stack in
            for body in bodies { stack.call(line.handle, SofiaTag.body(body, type: "application/dtmf-relay")) { csipInfo($0, $1) } }
        }
        return bodies.count
    }

    // MARK: Session timers (RFC 4028)

    /// Records what `message` (a request we answered 2xx, or a 2xx we received at `at`) says of
    /// the session timer and of the far end, and arms our refresh when it makes us the
    /// refresher. `arm` false: the initial INVITE's, armed when it is answered.
    private func noteSessionTimer(in message: SIPMessage, weAnswered: Bool, at: ContinuousClock.Instant, arm: Bool = true) {
        guard var line else { return }
        line.peerSupportsTimer = line.peerSupportsTimer || SIPHeaders.hasFeature("timer", in: message.headers["supported"] ?? [])
        if let allow = message.headers["allow"] { line.peerAllowsUpdate = SIPHeaders.allows("UPDATE", in: allow) }
        let timer = Self.sessionTimer(message, weAnswered: weAnswered, peerSupports: line.peerSupportsTimer)
        if arm {
            self.line = line
            armSessionTimer(timer, since: at)
        } else {
            line.offeredTimer = timer
            self.line = line
        }
    }

    /// The far end's UPDATE, answered 2xx: with a `Session-Expires` it negotiates the timer
    /// anew; without one the stack keeps the timer it had and restarts its clock.
    private func noteUpdate(_ message: SIPMessage, at: ContinuousClock.Instant) {
        if message.headers["session-expires"] == nil {
            armSessionTimer(line?.sessionTimer, since: at)
        } else {
            noteSessionTimer(in: message, weAnswered: true, at: at)
        }
    }

    /// Starts the session timer's clock at `since` (no later than the stack starts its own):
    /// when we refresh, our refresh is scheduled; when the far end does, the stack sends BYE if
    /// it has not by `expiresAfter`.
    private func armSessionTimer(_ timer: SIPHeaders.SessionTimer?, since: ContinuousClock.Instant) {
        refreshTask?.cancel()
        refreshTask = nil
        line?.sessionTimer = timer
        line?.sessionTimerSince = since
        guard let timer, timer.weRefresh, let id = line?.id else { return }
        scheduleRefresh(id, armedAt: since, after: timer.refreshAfter - (ContinuousClock.now - since))
    }

    private func scheduleRefresh(_ id: CallID, armedAt: ContinuousClock.Instant, after delay: Duration) {
        refreshTask = Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self?.refreshSession(id, armedAt: armedAt)
        }
    }

    /// Our session refresh: an UPDATE without a body where the far end allows UPDATE (no
    /// offer/answer), otherwise — or when the UPDATE is refused — a re-INVITE with our current
    /// description (our hold kept). A refresh that fails is tried again every 5 s while the
    /// session lasts; a 408 or 481 ends the call (the far end has lost it).
    private func refreshSession(_ id: CallID, armedAt: ContinuousClock.Instant) async {
        do throws(CallError) { try await takeRequestSlot() } catch { return }
        defer { ownRequestInFlight = false }
        // Another exchange (a hold, the far end's re-INVITE) refreshed the session meanwhile.
        guard let line, line.id == id, line.answered, !line.lateOffer, line.sessionTimerSince == armedAt,
              let timer = line.sessionTimer, ContinuousClock.now - armedAt < .seconds(timer.seconds) else { return }
        if line.peerAllowsUpdate {
            logger.info("refreshing the session", metadata: ["by": "UPDATE"])
            guard let response = await sendInDialog(line.handle, offer: nil), self.line?.id == id else { return }
            switch response.status {
            case 200..<300:
                noteSessionTimer(in: response.message, weAnswered: false, at: response.at)
                return
            case 408, 481:
                return // the call has ended (`answerWaiter`)
            default:
                logger.notice("the far end refused the UPDATE refresh", metadata: ["status": "\(response.status) \(response.phrase)"])
            }
        }
        logger.info("refreshing the session", metadata: ["by": "re-INVITE"])
        do throws(CallError) { _ = try await reinvite(hold: line.weHold) } catch {
            guard self.line?.id == id else { return }
            logger.warning("the session refresh failed; trying again in 5 s", metadata: ["error": "\(error.message)"])
            scheduleRefresh(id, armedAt: armedAt, after: .seconds(5))
        }
    }

    /// Why a call the stack ended by itself ended: `timeout` when the session timer ran out
    /// (the far end never refreshed), `otherwise` when not.
    private func endedByStack(_ line: LineCall, otherwise: CallEndReason) -> CallEndReason {
        guard let timer = line.sessionTimer, !timer.weRefresh else { return otherwise }
        return ContinuousClock.now - line.sessionTimerSince >= timer.expiresAfter - .seconds(3) ? .timeout : otherwise
    }

    // MARK: Internals

    private func hangupLine() async {
        await endLine(reason: .hangup, status: nil, sendSignal: true)
    }

    /// Ends the line's call in the core and clears it; `sendSignal`: BYE, CANCEL or 603 as the
    /// dialog stands.
    private func endLine(reason: CallEndReason, status: Int?, sendSignal: Bool = false) async {
        // Cleared before the wait below, so nothing that arrives meanwhile ends it twice.
        guard let line = clearLine() else { return }
        if sendSignal { sendEnd(line) }
        await calls.end(line.id, reason: reason, status: status)
        logger.info("SIP call ended", metadata: ["reason": "\(reason.rawValue)", "status": "\(status.map(String.init) ?? "")"])
    }

    /// Takes the call off the line, with everything that waits on it: the auto-answer, the
    /// session refresh, a request of ours awaiting its response.
    private func clearLine() -> LineCall? {
        guard let line else { return nil }
        self.line = nil
        publishCall()
        autoAnswerTask?.cancel()
        refreshTask?.cancel()
        reinviteWaiter?.resume(returning: nil)
        reinviteWaiter = nil
        return line
    }

    private func sendEnd(_ line: LineCall) {
        let handle = line.handle
        if line.answered {
            stack?.post { stack in stack.call(handle, []) { csipBye($0, $1) } }
        } else if line.info.direction == .outgoing {
            stack?.post { stack in stack.call(handle, []) { csipCancel($0, $1) } }
        } else {
            respond(handle, 603)
        }
    }

    private func respond(_ handle: SofiaStack.Handle, _ status: Int, _ tags: [SofiaTag] = [], request: UInt64? = nil) {
        stack?.post { stack in stack.respond(handle, status: status, tags, request: request) }
    }

    private func setPhase(_ state: String) {
        line?.info.state = state
        publishCall()
    }

    private func publishCall() {
        let info = line?.info
        published.withLock { $0.call = info }
    }

    private var localHost: String { settings.listen.first { $0.host != nil }?.host ?? "127.0.0.1" }

    /// A SIP URI as given, or a user or number at the registrar's domain.
    private func requestURI(_ target: String) throws(CallError) -> String {
        let trimmed = target.trimmingCharacters(in: .whitespaces)
        if SIPURI.parts(trimmed) != nil { return trimmed }
        guard !trimmed.isEmpty, trimmed.count <= 64,
              trimmed.allSatisfy({ $0.isLetter || $0.isNumber || "+-_.*#".contains($0) }) else {
            throw CallError(code: .invalidArgument, message: "uri must be a sip: or sips: URI, or a user or number")
        }
        guard let domain = settings.addressOfRecord?.domain else {
            throw CallError(code: .invalidArgument, message: "\(trimmed) needs a domain: give a full sip: URI (no sip.aor is set)")
        }
        return "sip:\(trimmed)@\(domain)"
    }
}

// MARK: Reading messages (shared with `SIPInput`)

extension SIPPhone {
    /// The headers every event carries the values of.
    static func headerNames(conversationHeader: String) -> [String] {
        ["Call-Info", "Alert-Info", "Answer-Mode", "WWW-Authenticate", "Proxy-Authenticate",
         "Session-Expires", "Min-SE", "Supported", "Require", "Allow"]
            + (conversationHeader.isEmpty ? [] : [conversationHeader])
    }

    static func autoAnswerDelay(_ message: SIPMessage) -> Int? {
        SIPHeaders.autoAnswerDelay(callInfo: message.headers["call-info"] ?? [], alertInfo: message.headers["alert-info"] ?? [],
                                   answerMode: message.headers["answer-mode"] ?? [])
    }

    /// The platform's conversation id under `header`: printable, at most 128 characters.
    static func conversationID(_ message: SIPMessage, header: String) -> String? {
        guard !header.isEmpty, let value = message.headers[header.lowercased()]?.first?.trimmingCharacters(in: .whitespaces),
              !value.isEmpty, value.count <= 128, value.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! >= 0x21 })
        else { return nil }
        return value
    }

    /// The session timer `message` sets (see `SIPHeaders.sessionTimer`).
    static func sessionTimer(_ message: SIPMessage, weAnswered: Bool, peerSupports: Bool = false) -> SIPHeaders.SessionTimer? {
        SIPHeaders.sessionTimer(sessionExpires: message.headers["session-expires"] ?? [], supported: message.headers["supported"] ?? [],
                                require: message.headers["require"] ?? [], minSE: message.headers["min-se"] ?? [],
                                weAnswered: weAnswered, peerSupports: peerSupports)
    }

    static func challengeRealm(_ message: SIPMessage) -> String? {
        let challenges = (message.headers["www-authenticate"] ?? []) + (message.headers["proxy-authenticate"] ?? [])
        return challenges.lazy.compactMap(SIPHeaders.digestRealm).first
    }
}

// The NUA calls a job makes, as functions `SofiaStack.call` takes.
func csipRegister(_ handle: OpaquePointer, _ tags: UnsafePointer<tagi_t>) { csip_nua_register(handle, tags) }
func csipAuthenticate(_ handle: OpaquePointer, _ tags: UnsafePointer<tagi_t>) { csip_nua_authenticate(handle, tags) }
func csipInvite(_ handle: OpaquePointer, _ tags: UnsafePointer<tagi_t>) { csip_nua_invite(handle, tags) }
func csipBye(_ handle: OpaquePointer, _ tags: UnsafePointer<tagi_t>) { csip_nua_bye(handle, tags) }
func csipCancel(_ handle: OpaquePointer, _ tags: UnsafePointer<tagi_t>) { csip_nua_cancel(handle, tags) }
func csipInfo(_ handle: OpaquePointer, _ tags: UnsafePointer<tagi_t>) { csip_nua_info(handle, tags) }
func csipUpdate(_ handle: OpaquePointer, _ tags: UnsafePointer<tagi_t>) { csip_nua_update(handle, tags) }
