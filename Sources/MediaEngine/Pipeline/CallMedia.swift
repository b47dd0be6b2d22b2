import Foundation
import MediaCore
import Synchronization

/// One call's media: a UDP socket, a send thread and a receive thread.
///
/// The threads block on the microphone (or a monotonic deadline) and on the socket. Each
/// has one input, its `MediaCommandQueue`, drained at every frame boundary; they publish
/// counters through `statistics` and acknowledgements through the queues, so nothing on
/// the control plane can delay them.
public final class CallMedia: Sendable {
    public let configuration: CallMediaConfiguration
    public let statistics: MediaStatistics
    /// The bound local address (its port goes into SDP and `status`).
    public let localAddress: SocketAddress
    /// True when a call without rtcp-mux also receives at the RTP port + 1.
    public let rtcpPortListening: Bool
    /// The SSRC this side sends with.
    public let ssrc: UInt32

    /// The send thread's commands (mute transitions, bitrate, direction, retarget).
    public let sendCommands: MediaCommandQueue
    /// The receive thread's commands (retarget).
    public let receiveCommands: MediaCommandQueue
    /// How the media threads were scheduled (set once they run).
    public let scheduling = MediaThreadScheduling()

    private let shared: CallMediaShared
    private let loops: Loops
    private let state = Mutex<Lifecycle>(.created)
    private let sendFinished = DispatchSemaphore(value: 0)
    private let receiveFinished = DispatchSemaphore(value: 0)

    private enum Lifecycle { case created, running, stopped }

    /// The two loops, each touched only by its own thread once started.
    private final class Loops: @unchecked Sendable {
        let send: SendLoop
        let receive: ReceiveLoop
        init(send: SendLoop, receive: ReceiveLoop) {
            self.send = send
            self.receive = receive
        }
    }

    /// Prepares the call's socket, SRTP, codec and devices.
    /// - Parameters:
    ///   - events: called on a media thread for rare events; keep it short and non-blocking.
    /// - Throws: `CallMediaError` naming what could not be set up (socket, key, device).
    ///   - muted, mode: the gate's state before the first command.
    ///   - webrtc: a WebRTC call's ICE/DTLS transport (its keys arrive when DTLS finishes);
    ///     nil opens a UDP socket for an SDES call.
    public init(configuration: CallMediaConfiguration, muted: Bool = false, mode: MuteMode = .silence,
                statistics: MediaStatistics = MediaStatistics(), webrtc: WebRTCTransport? = nil,
                events: @escaping @Sendable (MediaEvent) -> Void = { _ in }) throws(CallMediaError) {
        self.configuration = configuration
        self.statistics = statistics
        let path: MediaPath
        if let webrtc {
            path = .webrtc(webrtc)
            localAddress = webrtc.localAddress
            rtcpPortListening = false
        } else {
            let socket: UDPSocket
            do {
                socket = try UDPSocket(localPort: configuration.localPort, family: configuration.remote,
                                       bindLoopbackOnly: configuration.bindLoopbackOnly)
            } catch {
                throw CallMediaError("cannot open the call's UDP socket on port \(configuration.localPort): \(error)")
            }
            // A peer without rtcp-mux may send its reports to our RTP port + 1 whatever our
            // `a=rtcp` says; listened to when that port is free, else only `a=rtcp`'s port is.
            var rtcp: UDPSocket?
            if configuration.remoteRTCP != nil, socket.localAddress.port < UInt16.max {
                rtcp = try? UDPSocket(localPort: socket.localAddress.port + 1, family: configuration.remote,
                                      bindLoopbackOnly: configuration.bindLoopbackOnly)
            }
            path = .udp(socket, rtcp: rtcp)
            localAddress = socket.localAddress
            rtcpPortListening = rtcp != nil
        }
        shared = CallMediaShared()
        sendCommands = MediaCommandQueue()
        receiveCommands = MediaCommandQueue()
        let send = try SendLoop(configuration: configuration, path: path, statistics: statistics, commands: sendCommands,
                                muted: muted, mode: mode, shared: shared, events: events)
        let receive = try ReceiveLoop(configuration: configuration, path: path, statistics: statistics, commands: receiveCommands,
                                      shared: shared, localSSRC: send.ssrc, events: events)
        ssrc = send.ssrc
        loops = Loops(send: send, receive: receive)
        if let webrtc {
            let sendCommands = self.sendCommands, receiveCommands = self.receiveCommands
            webrtc.deliverKeys { keys in
                // Made on the ICE thread, so the media threads only swap them in.
                guard let send = try? SRTPSession(key: keys.sendKey, direction: .send),
                      let receive = try? SRTPSession(key: keys.receiveKey, direction: .receive) else { return }
                let both = MediaKeys(send: send, receive: receive)
                receiveCommands.enqueue(.keys(both))
                sendCommands.enqueue(.keys(both))
            }
        }
    }

    /// Starts the send and receive threads.
    public func start() {
        let proceed = state.withLock { state -> Bool in
            guard case .created = state else { return false }
            state = .running
            return true
        }
        guard proceed else { return }
        let loops = self.loops, shared = self.shared, scheduling = self.scheduling
        let sendFinished = self.sendFinished, receiveFinished = self.receiveFinished
        MediaThread.start(name: "sp-media-send", scheduling: scheduling) {
            loops.send.open()
            while shared.running.load(ordering: .relaxed) { loops.send.runFrame() }
            loops.send.finish()
            sendFinished.signal()
        }
        MediaThread.start(name: "sp-media-recv", scheduling: scheduling) {
            while shared.running.load(ordering: .relaxed) { loops.receive.runOnce() }
            loops.receive.finish()
            receiveFinished.signal()
        }
    }

    /// Whether the threads are running (false before `start` and after `stop`): a command
    /// that is never drained is then moot, since no media leaves.
    public var isRunning: Bool { state.withLock { if case .running = $0 { true } else { false } } }

    /// Stops the call: a final RTCP report with BYE, devices closed. Idempotent; returns
    /// once both threads have finished (within about one frame), or after `timeout`.
    ///
    /// A send thread stuck inside a device call (a wedged sound card) cannot finish; waiting
    /// for it would keep the daemon from exiting on SIGTERM. After `timeout` this returns
    /// anyway; the thread keeps what it uses alive and sends its BYE if the device returns.
    /// - Returns: `false` when a thread had not finished within `timeout`.
    @discardableResult
    public func stop(timeout: Duration = .milliseconds(500)) -> Bool {
        let wasRunning = state.withLock { state -> Bool in
            defer { state = .stopped }
            if case .running = state { return true }
            return false
        }
        guard wasRunning else { return true }
        shared.running.store(false, ordering: .relaxed)
        let deadline = DispatchTime.now() + .nanoseconds(Int(timeout.components.seconds * 1_000_000_000
                                                              + timeout.components.attoseconds / 1_000_000_000))
        let sent = sendFinished.wait(timeout: deadline) == .success
        let received = receiveFinished.wait(timeout: deadline) == .success
        return sent && received
    }

    /// Starts or stops sending media (hold) from the next frame; RTCP continues either way.
    /// - Returns: false when the send thread is not taking commands.
    @discardableResult
    public func setSending(_ sending: Bool) -> Bool {
        sendCommands.enqueue(.setDirection(sending: sending)) != nil
    }

    /// Changes the Opus bitrate at the next frame (SIGHUP reload).
    @discardableResult
    public func setBitrate(_ bitrate: Int) -> Bool {
        sendCommands.enqueue(.setBitrate(bitrate)) != nil
    }

    /// Points the running stream at a renegotiated far end: same socket, SSRC, sequence and
    /// timestamp; new address, keys or payload type from the next frame (and packet) on.
    /// - Returns: false when a media thread is not taking commands.
    @discardableResult
    public func retarget(_ target: MediaTarget) -> Bool {
        let sent = sendCommands.enqueue(.retarget(target)) != nil
        return receiveCommands.enqueue(.retarget(target)) != nil && sent
    }

    /// Queues RFC 4733 DTMF events (codes 0–15) for the send thread, each `duration` long and
    /// followed by `gap` of audio. The call must have agreed on `telephone-event`.
    /// - Returns: false when the send thread is not taking commands (some may be queued).
    @discardableResult
    public func sendDTMF(_ events: [UInt8], durationMilliseconds: Int, gapMilliseconds: Int) -> Bool {
        let duration = UInt16(clamping: durationMilliseconds), gap = UInt16(clamping: gapMilliseconds)
        return events.allSatisfy { sendCommands.enqueue(.dtmf(event: $0, durationMilliseconds: duration, gapMilliseconds: gap)) != nil }
    }

    /// Monotonic time at which the send thread last ran (0 before it started).
    public var lastHeartbeat: UInt64 { statistics.heartbeat.load(ordering: .relaxed) }

    deinit { stop() }
}
