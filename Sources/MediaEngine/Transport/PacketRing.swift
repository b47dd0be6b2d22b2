// The eventfd shim, and `struct pollfd` (which reaches this module through alsa-lib's headers).
import CALSA
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Hands received SRTP/SRTCP datagrams from libnice's thread to the receive thread without
/// a lock or an allocation per packet: a single-producer, single-consumer ring of fixed
/// slots, and an eventfd the consumer can block on with a timeout.
///
/// The producer writes a slot, then publishes it by advancing `tail` (release); the consumer
/// reads `tail` (acquire), copies the slot out and advances `head`. A full ring drops.
final class PacketRing: @unchecked Sendable {
    static let slotCount = 128
    static let slotSize = 2048

    private let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: PacketRing.slotCount * PacketRing.slotSize, alignment: 16)
    private let lengths = UnsafeMutableBufferPointer<Int>.allocate(capacity: PacketRing.slotCount)
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    /// Signalled once per pushed packet; its counter is drained by the consumer.
    let eventFD: CInt

    init() {
        eventFD = softphoned_wake_fd()
        lengths.initialize(repeating: 0)
    }

    deinit {
        close(eventFD)
        storage.deallocate()
        lengths.deallocate()
    }

    /// Producer side (libnice's thread).
    /// - Returns: false when the ring is full or the datagram too long.
    @discardableResult
    func push(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let t = tail.load(ordering: .relaxed)
        guard bytes.count <= PacketRing.slotSize, t - head.load(ordering: .acquiring) < PacketRing.slotCount else { return false }
        let slot = t % PacketRing.slotCount
        UnsafeMutableRawBufferPointer(rebasing: storage[(slot * PacketRing.slotSize)...]).copyMemory(from: bytes)
        lengths[slot] = bytes.count
        tail.store(t + 1, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(eventFD, &one, 8)
        return true
    }

    /// Consumer side (the receive thread): the oldest datagram, waiting up to
    /// `timeoutMilliseconds` for one.
    /// - Returns: its length, or nil on timeout.
    func pop(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int32) -> Int? {
        if let length = take(into: buffer) { return length }
        var pfd = pollfd(fd: eventFD, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return nil }
        var count: UInt64 = 0
        _ = read(eventFD, &count, 8)
        return take(into: buffer)
    }

    private func take(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let h = head.load(ordering: .relaxed)
        guard h < tail.load(ordering: .acquiring) else { return nil }
        let slot = h % PacketRing.slotCount
        let length = min(lengths[slot], buffer.count)
        buffer.baseAddress!.copyMemory(from: storage.baseAddress! + slot * PacketRing.slotSize, byteCount: length)
        head.store(h + 1, ordering: .releasing)
        return length
    }
}
