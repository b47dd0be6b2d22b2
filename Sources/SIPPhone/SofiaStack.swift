internal import CSofiaSIP
import Foundation
import Synchronization

/// sofia-sip's NUA on a thread of its own: the one place with C types.
///
/// The stack lives on its thread only (`su_root_threading(root, 0)`); every call into it is a
/// job posted with `su_msg_send` (thread-safe) and run there, and every event it reports is
/// copied into a `SofiaEvent` on that thread and handed to `onEvent`. sofia's own SDP
/// handling is off (`NUTAG_MEDIA_ENABLE(0)`): bodies are strings softphoned's negotiator
/// writes and reads.
final class SofiaStack: @unchecked Sendable {
    // @unchecked: `root`, `nua` and `handles` are touched only on the stack's thread (after
    // `init` returns, through `post`); `started` publishes them to it.

    /// A NUA handle, named by a number the rest of the module can hold across threads.
    struct Handle: Hashable, Sendable { let rawValue: UInt64 }

    /// The loop's root while it runs: other threads post to it under this lock, and the loop
    /// clears it under the same lock before destroying it, so no job is ever sent to a freed root.
    private let postRoot = Mutex<Root?>(nil)

    /// The root's pointer, handed between threads only under `postRoot`'s lock.
    private struct Root: @unchecked Sendable { let pointer: OpaquePointer }
    private var nua: OpaquePointer?
    private var handles: [Handle: OpaquePointer] = [:]
    /// Requests answered after their event (INFO, UPDATE), by `SofiaEvent.saved`.
    private var saved: [UInt64: UnsafeMutablePointer<csip_saved_t>] = [:]
    private var handleIDs: [OpaquePointer: Handle] = [:]
    private var nextHandle: UInt64 = 1
    private var thread: Thread?
    private let onEvent: @Sendable (SofiaEvent) -> Void
    /// Header names whose values every event carries (auto-answer forms, the conversation header).
    private let headerNames: [String]

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts the thread and the stack, bound as `parameters` say.
    init(parameters: [SofiaTag], headerNames: [String], onEvent: @escaping @Sendable (SofiaEvent) -> Void) throws(StartError) {
        self.onEvent = onEvent
        self.headerNames = headerNames
        let ready = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        // The thread holds the stack until its loop has ended.
        let thread = Thread { [self] in
            guard let root = csip_root_create() else {
                failure.withLock { $0 = "the SIP stack's event loop cannot be created" }
                ready.signal()
                return
            }
            let magic = Unmanaged.passUnretained(self).toOpaque()
            let nua = SofiaTag.withList(parameters) { csip_nua_create(root, sofiaCallback, magic, $0) }
            guard let nua else {
                failure.withLock { $0 = "the SIP stack cannot bind its transports (a port in use, or no TLS support): check sip.listen" }
                csip_root_destroy(root)
                ready.signal()
                return
            }
            self.nua = nua
            self.postRoot.withLock { $0 = Root(pointer: root) }
            ready.signal()
            csip_root_run(root)
            self.postRoot.withLock { $0 = nil }
            self.handles.removeAll()
            self.handleIDs.removeAll()
            self.saved.values.forEach { csip_saved_destroy($0) }
            self.saved.removeAll()
            csip_root_destroy(root)
        }
        thread.name = "softphoned-sip"
        self.thread = thread
        thread.start()
        ready.wait()
        if let message = failure.withLock({ $0 }) { throw StartError(description: message) }
    }

    // MARK: Jobs on the stack's thread

    /// Runs `job` on the stack's thread with the stack's state; false once the stack is gone.
    @discardableResult
    func post(_ job: @escaping @Sendable (SofiaStack) -> Void) -> Bool {
        postRoot.withLock { root in
            guard let root = root?.pointer else { return false }
            let box = Unmanaged.passRetained(JobBox { job(self) }).toOpaque()
            if csip_post(root, { ctx in
                let job = Unmanaged<JobBox>.fromOpaque(ctx!).takeRetainedValue()
                job.run()
            }, box) != 0 {
                Unmanaged<JobBox>.fromOpaque(box).release()
                return false
            }
            return true
        }
    }

    /// Shuts the stack down: every dialog ended (BYE, CANCEL), registrations removed
    /// (REGISTER with Expires: 0), waiting at most `timeout` for the far ends to answer.
    func shutdown(timeout: Duration) async {
        let done = AsyncStream<Bool>.makeStream()
        shutdownDone.withLock { $0 = done.continuation }
        post { stack in if let nua = stack.nua { nua_shutdown(nua) } }
        let completed = await withTaskGroup(of: Bool.self) { group in
            group.addTask { for await _ in done.stream { return true }; return false }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        done.continuation.finish()
        post { stack in
            // sofia aborts on nua_destroy before its shutdown has completed (a far end that
            // never answered our BYE): then the stack is left to the process's exit.
            if completed, let nua = stack.nua { nua_destroy(nua) }
            stack.nua = nil
            stack.postRoot.withLock { root in
                if let root { csip_root_break(root.pointer) }
                // No job is taken after this one.
                root = nil
            }
        }
    }

    private let shutdownDone = Mutex<AsyncStream<Bool>.Continuation?>(nil)

    // MARK: On the stack's thread only

    /// A new handle for a request of ours (REGISTER, INVITE).
    func makeHandle(_ tags: [SofiaTag]) -> Handle? {
        guard let nua else { return nil }
        guard let pointer = SofiaTag.withList(tags, { csip_nua_handle(nua, $0) }) else { return nil }
        return register(pointer)
    }

    func pointer(_ handle: Handle) -> OpaquePointer? { handles[handle] }

    /// Forgets and destroys a handle (its dialog is over).
    func destroy(_ handle: Handle) {
        guard let pointer = handles.removeValue(forKey: handle) else { return }
        handleIDs[pointer] = nil
        nua_handle_destroy(pointer)
    }

    func call(_ handle: Handle, _ tags: [SofiaTag], _ function: (OpaquePointer, UnsafePointer<tagi_t>) -> Void) {
        guard let pointer = handles[handle] else { return }
        SofiaTag.withList(tags) { function(pointer, $0) }
    }

    /// Answers the handle's current request (an INVITE), or the saved request `request`.
    func respond(_ handle: Handle, status: Int, _ tags: [SofiaTag] = [], request: UInt64? = nil) {
        let event = request.flatMap { saved.removeValue(forKey: $0) }
        defer { csip_saved_destroy(event) }
        guard let pointer = handles[handle] else { return }
        // sofia keeps the phrase's pointer: a static one.
        let phrase = csip_status_phrase(Int32(status))
        SofiaTag.withList(tags) { list in
            if let event {
                csip_nua_respond_saved(pointer, Int32(status), phrase, event, list)
            } else {
                csip_nua_respond(pointer, Int32(status), phrase, list)
            }
        }
    }

    func setParameters(_ tags: [SofiaTag]) {
        guard let nua else { return }
        SofiaTag.withList(tags) { csip_nua_set_params(nua, $0) }
    }

    private func register(_ pointer: OpaquePointer) -> Handle {
        if let known = handleIDs[pointer] { return known }
        let handle = Handle(rawValue: nextHandle)
        nextHandle += 1
        handles[handle] = pointer
        handleIDs[pointer] = handle
        return handle
    }

    fileprivate func deliver(event: nua_event_t, status: Int32, phrase: UnsafePointer<CChar>?, handle: OpaquePointer?,
                             sip: UnsafePointer<sip_t>?, tags: UnsafeMutablePointer<tagi_t>?) {
        if event == nua_r_shutdown {
            if status >= 200 { _ = shutdownDone.withLock { $0?.yield(true) } }
            return
        }
        // Events with no handle (nua_r_set_params, stray responses) say nothing to the phone.
        guard let handle else { return }
        let id = register(handle)
        let message = SIPMessage(sip, headerNames: headerNames)
        let callState = csip_callstate(tags)
        let kind = SofiaEvent.Kind(event)
        // INFO and UPDATE are ours to answer (NUTAG_APPL_METHOD), after the event: saved.
        var request: UInt64?
        if kind == .incomingInfo || kind == .incomingUpdate, let nua, let event = csip_save_event(nua) {
            request = nextHandle
            nextHandle += 1
            saved[request!] = event
        }
        onEvent(SofiaEvent(kind: kind, handle: id, status: Int(status),
                           phrase: phrase.map { String(cString: $0) } ?? "", message: message,
                           callState: callState >= 0 ? SofiaEvent.CallState(rawValue: Int(callState)) : nil, request: request))
    }
}

private final class JobBox {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// sofia's callback: on the stack's thread, never on an actor.
private func sofiaCallback(event: nua_event_t, status: Int32, phrase: UnsafePointer<CChar>?, nua: OpaquePointer?,
                           magic: UnsafeMutableRawPointer?, handle: OpaquePointer?, hmagic: UnsafeMutableRawPointer?,
                           sip: UnsafePointer<sip_t>?, tags: UnsafeMutablePointer<tagi_t>?) {
    guard let magic else { return }
    Unmanaged<SofiaStack>.fromOpaque(magic).takeUnretainedValue()
        .deliver(event: event, status: status, phrase: phrase, handle: handle, sip: sip, tags: tags)
}
