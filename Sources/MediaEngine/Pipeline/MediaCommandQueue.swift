import MediaCore
import Synchronization

/// A change for a call's media threads, applied at the next frame boundary in the order
/// it was enqueued.
public enum MediaCommand: Sendable {
    /// Silence every sample captured at or after `at` (monotonic ns), in `mode`.
    case mute(at: UInt64, mode: MuteMode)
    /// Send every sample captured at or after `at` again.
    case unmute(at: UInt64)
    /// The Opus bitrate from the next frame on (SIGHUP reload).
    case setBitrate(Int)
    /// Whether RTP media is sent at all (hold: `recvonly`/`inactive`); RTCP continues.
    case setDirection(sending: Bool)
    /// A renegotiated far end: new address, keys, payload type or RTCP port, applied to the
    /// running stream (same socket, SSRC, sequence and timestamp).
    case retarget(MediaTarget)
    /// The SRTP sessions a WebRTC call's DTLS handshake keyed: media flows from here on.
    case keys(MediaKeys)
    /// An RFC 4733 DTMF digit to send (`event` 0–15), then `gap` of audio before the next.
    case dtmf(event: UInt8, durationMilliseconds: UInt16, gapMilliseconds: UInt16)
}

/// Both directions' SRTP sessions from DTLS-SRTP, made off the media threads.
public struct MediaKeys: @unchecked Sendable {
    public var send: SRTPSession
    public var receive: SRTPSession
    public init(send: SRTPSession, receive: SRTPSession) {
        self.send = send
        self.receive = receive
    }
}

/// Where a call's media goes and how it is protected, as a renegotiation changes it.
///
/// The SRTP sessions are made by the caller, so a bad key fails before the media is touched
/// and the media thread never allocates one.
public struct MediaTarget: @unchecked Sendable {
    public var remote: SocketAddress
    /// Where RTCP goes when it is not multiplexed on the RTP port.
    public var remoteRTCP: SocketAddress?
    public var payloadType: UInt8
    /// RFC 4733 `telephone-event`'s payload type after the renegotiation (nil: none agreed).
    public var telephoneEventPayloadType: UInt8?
    /// The codec's encoder and decoder when the renegotiation changed codec, made by the
    /// caller so the media threads only swap them in; nil keeps the running ones.
    public var encoder: VoiceEncoder?
    public var decoder: VoiceDecoder?
    /// A new sending session when our key changed, else nil (the running one is kept).
    public var sendSRTP: SRTPSession?
    /// A new receiving session when the far end's key changed, else nil.
    public var receiveSRTP: SRTPSession?

    public init(remote: SocketAddress, remoteRTCP: SocketAddress? = nil, payloadType: UInt8, telephoneEventPayloadType: UInt8? = nil,
                sendSRTP: SRTPSession? = nil, receiveSRTP: SRTPSession? = nil) {
        self.remote = remote
        self.remoteRTCP = remoteRTCP
        self.payloadType = payloadType
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.sendSRTP = sendSRTP
        self.receiveSRTP = receiveSRTP
    }
}

/// The one input into a media thread: a bounded, ordered, single-consumer ring of commands.
///
/// Producers (the mute owner, the call controller) serialise among themselves with a lock the
/// media thread never takes; the media thread drains with acquire loads and no lock, and
/// publishes the sequence number of every command it has applied, so a caller can wait for
/// its command (`isApplied`). Draining allocates nothing.
public final class MediaCommandQueue: @unchecked Sendable {
    /// Room for far more commands than a frame can see; full means the thread is not draining.
    public static let capacity = 256

    private let slots: UnsafeMutablePointer<(sequence: UInt64, command: MediaCommand)?>
    /// Next slot to read; written only by the media thread.
    private let head = Atomic<Int>(0)
    /// Next slot to write; written only under `producer`.
    private let tail = Atomic<Int>(0)
    /// Serialises producers and numbers their commands (the last number handed out).
    private let producer = Mutex<UInt64>(0)
    /// The last sequence number the media thread has applied.
    private let appliedSequence = Atomic<UInt64>(0)

    public init() {
        slots = .allocate(capacity: Self.capacity)
        slots.initialize(repeating: nil, count: Self.capacity)
    }

    deinit {
        slots.deinitialize(count: Self.capacity)
        slots.deallocate()
    }

    /// Appends a command.
    /// - Returns: its sequence number, or nil when the queue is full (the thread is wedged).
    @discardableResult
    public func enqueue(_ command: MediaCommand) -> UInt64? {
        producer.withLock { last -> UInt64? in
            let t = tail.load(ordering: .relaxed)
            guard t &- head.load(ordering: .acquiring) < Self.capacity else { return nil }
            last &+= 1
            slots[t % Self.capacity] = (last, command)
            tail.store(t &+ 1, ordering: .releasing)
            return last
        }
    }

    /// The last sequence number handed out (0 before any).
    public var lastEnqueued: UInt64 { producer.withLock { $0 } }

    /// True once the media thread has applied command `sequence` (and so every earlier one).
    public func isApplied(_ sequence: UInt64) -> Bool {
        appliedSequence.load(ordering: .acquiring) >= sequence
    }

    /// The last sequence number applied.
    public var applied: UInt64 { appliedSequence.load(ordering: .acquiring) }

    /// Media thread only: hands every queued command to `apply` in order, then publishes
    /// the last one's sequence number.
    @inline(__always)
    func drain(_ apply: (MediaCommand) -> Void) {
        var h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h != t else { return }
        var last: UInt64 = 0
        while h != t {
            let index = h % Self.capacity
            if let entry = slots[index] {
                apply(entry.command)
                last = entry.sequence
            }
            slots[index] = nil
            h &+= 1
        }
        head.store(h, ordering: .releasing)
        appliedSequence.store(last, ordering: .releasing)
    }
}
