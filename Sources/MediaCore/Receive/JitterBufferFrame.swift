/// A packet handed out by `JitterBuffer`.
///
/// - warning: `payload` points into the buffer's own storage and is valid only until the
///   next call to `insert` or `nextFrame` on that buffer: decode it right away.
public struct JitterBufferPacket {
    public let payload: UnsafeRawBufferPointer
    public let sequenceNumber: UInt16
    public let timestamp: UInt32
    public let marker: Bool
}

/// Why `JitterBuffer.nextFrame(now:)` has nothing to play.
public enum JitterBufferWait: Sendable, Equatable {
    /// No packet has arrived yet (or since `reset()`).
    case idle
    /// Packets are being collected up to the target delay before playout (re)starts.
    case buffering
    /// Playout ran dry: the far end is silent (DTX, `disable` mute) or the network is late.
    case underrun
    /// The next packet is overdue while later ones are here, and the delay is below target:
    /// conceal this tick; the packet still plays if it arrives by the next one.
    case waiting
}

/// What to play for one 20 ms tick.
public enum JitterBufferFrame {
    /// The next packet in sequence: decode it.
    case packet(JitterBufferPacket)
    /// The packet for this tick is missing: conceal it. When the following packet is already
    /// buffered it is given as `next`, so an Opus decoder can rebuild this frame from its
    /// in-band FEC (`decode_fec = 1`); `next` stays buffered and plays on the next tick.
    case lost(sequenceNumber: UInt16, next: JitterBufferPacket?)
    /// Nothing to play yet; the decoder may run its concealment or play silence.
    case empty(JitterBufferWait)
}

/// What `JitterBuffer.insert` did with a packet.
public enum JitterBufferInsertResult: Sendable, Equatable {
    case stored
    /// Already buffered (or already played this very tick).
    case duplicate
    /// Behind the playout point: its turn has passed.
    case late
    /// Larger than the slots; dropped.
    case tooLarge
    /// So far from the playout point that the buffer restarted from this packet.
    case resynchronised
}
