import MediaCore
import Synchronization

/// The receive half of a call, run on its own thread: UDP → RTP/RTCP demultiplexing
/// (RFC 5761) → SRTP unprotect (with replay protection) → decode → playback, plus the
/// far end's RTCP (reports for RTT, BYE).
///
/// Every buffer is allocated once in `init`; handling a packet allocates nothing.
final class ReceiveLoop {
    private let configuration: CallMediaConfiguration
    private let socket: UDPSocket
    private var srtp: SRTPSession
    /// Its one input: retargets after a renegotiation, drained before every wait.
    private let commands: MediaCommandQueue
    private var payloadType: UInt8
    private let decoder: OpusDecoder
    private let playback: PlaybackDevice?
    private let statistics: MediaStatistics
    private let shared: CallMediaShared
    private let events: @Sendable (MediaEvent) -> Void
    /// Our own SSRC, to find the report blocks about our stream.
    private let localSSRC: UInt32

    private let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
    private let pcm = UnsafeMutableBufferPointer<Int16>.allocate(capacity: 5760)

    private let jitterBuffer: JitterBuffer
    /// Monotonic deadline of the next 20 ms playout tick (0 until the first packet).
    private var nextPlayout: UInt64 = 0
    private var started = false
    private var sourceSSRC: UInt32 = 0
    private var highest: UInt64 = 0
    private var lastTimestamp: UInt32 = 0
    private var lastTransit: Int64 = 0
    private var jitter: Double = 0
    private var startedAt: UInt64 = 0
    private var timedOut = false
    private var byeSeen = false

    init(configuration: CallMediaConfiguration, socket: UDPSocket, statistics: MediaStatistics, commands: MediaCommandQueue,
         shared: CallMediaShared, localSSRC: UInt32, events: @escaping @Sendable (MediaEvent) -> Void) throws(CallMediaError) {
        self.configuration = configuration
        self.socket = socket
        self.commands = commands
        payloadType = configuration.payloadType
        self.statistics = statistics
        self.shared = shared
        self.localSSRC = localSSRC
        self.events = events
        do { srtp = try SRTPSession(key: configuration.receiveKey ?? configuration.sendKey, direction: .receive) } catch {
            throw CallMediaError("SRTP (receive): \(error)")
        }
        do { decoder = try OpusDecoder() } catch { throw CallMediaError("Opus decoder: \(error)") }
        switch configuration.playback {
        case .none: playback = nil
        case .alsa(let device):
            do { playback = try PlaybackDevice(device: device) } catch { throw CallMediaError(error.description, deviceUnavailable: true) }
        }
        pcm.initialize(repeating: 0)
        jitterBuffer = JitterBuffer(configuration: .init(
            minimumDelayMilliseconds: configuration.jitterMinimumMilliseconds,
            maximumDelayMilliseconds: configuration.jitterMaximumMilliseconds))
    }

    deinit {
        datagram.deallocate()
        pcm.deallocate()
    }

    /// Waits up to 20 ms for a datagram and handles it; checks the media timeout.
    @inline(__always)
    func runOnce() {
        let now = MonotonicClock.now()
        if startedAt == 0 { startedAt = now }
        commands.drain(apply)
        let wait = nextPlayout == 0 ? 20 : (nextPlayout > now ? Int32(min(20, (nextPlayout - now) / 1_000_000)) : 0)
        if let length = socket.receive(into: datagram, timeoutMilliseconds: wait) {
            handle(length: length, at: MonotonicClock.now())
        }
        let after = MonotonicClock.now()
        if nextPlayout != 0 && after >= nextPlayout {
            playout(now: after)
            nextPlayout &+= AudioFormat.frameNanoseconds
            // After a stall (a suspended machine), start afresh rather than play a burst.
            if after > nextPlayout &+ 200_000_000 { nextPlayout = after &+ AudioFormat.frameNanoseconds }
        }
        checkTimeout(now: now)
    }

    @inline(__always)
    private func handle(length: Int, at now: UInt64) {
        let packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[0..<length])
        guard length >= 12, packet[0] >> 6 == 2 else {
            statistics.malformedPackets.bump()
            return
        }
        if RTPDemultiplexer.isRTCP(packet) {
            handleRTCP(length: length, at: now)
        } else {
            handleRTP(length: length, at: now)
        }
    }

    @inline(__always)
    private func handleRTP(length: Int, at now: UInt64) {
        let plain: Int
        do { plain = try srtp.unprotect(datagram, length: length) } catch {
            if error.isReplay { statistics.replayedPackets.bump() } else { statistics.authFailures.bump() }
            return
        }
        guard let (header, payload) = RTPHeader.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[0..<plain])),
              header.payloadType == payloadType else {
            statistics.malformedPackets.bump()
            return
        }
        statistics.packetsReceived.bump()
        statistics.bytesReceived.bump(UInt64(length))
        statistics.lastReceiveAt.store(now, ordering: .relaxed)
        track(header, at: now)
        let result = jitterBuffer.insert(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, marker: header.marker,
                                         payload: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[payload]), arrival: now)
        if result == .duplicate || result == .late { statistics.lateOrDuplicate.bump() }
        if nextPlayout == 0 { nextPlayout = now &+ AudioFormat.frameNanoseconds }
    }

    /// One 20 ms tick of the far end's audio: the next packet, or its FEC copy, or
    /// concealment, then the level meter and the playback device.
    @inline(__always)
    private func playout(now: UInt64) {
        var samples = 0
        switch jitterBuffer.nextFrame(now: now) {
        case .packet(let packet):
            samples = (try? decoder.decode(packet.payload, into: pcm)) ?? 0
            if samples > 0 { statistics.framesPlayed.bump() }
        case .lost(_, let next):
            samples = (try? decoder.conceal(nextPacket: next?.payload, into: pcm)) ?? 0
            if next != nil { statistics.fecRecoveredFrames.bump() } else { statistics.concealedFrames.bump() }
        case .empty(let wait):
            if wait == .underrun {
                samples = (try? decoder.conceal(nextPacket: nil, into: pcm)) ?? 0
                statistics.concealedFrames.bump()
            }
        }
        if samples == 0 {
            samples = AudioFormat.samplesPerFrame
            pcm.update(repeating: 0)
        }
        statistics.jitterBufferMilliseconds.store(UInt64(jitterBuffer.targetDelayMilliseconds), ordering: .relaxed)
        statistics.outputLevelCentiDB.store(FrameLevel.centiDB(pcm.baseAddress!, count: samples), ordering: .relaxed)
        if let playback {
            playback.write(UnsafeBufferPointer(rebasing: pcm[0..<samples]), statistics: statistics, events: events)
            statistics.playbackQueueMicroseconds.store(UInt64(playback.queuedFrames) * 1000 / 48, ordering: .relaxed)
        }
    }

    /// Sequence, loss and jitter bookkeeping (RFC 3550 A.1, A.3, A.8).
    @inline(__always)
    private func track(_ header: RTPHeader, at now: UInt64) {
        let arrival = Int64(now / 1_000_000 * 48)  // in 48 kHz timestamp units
        if !started || header.ssrc != sourceSSRC {
            started = true
            sourceSSRC = header.ssrc
            highest = UInt64(header.sequenceNumber) | 1 << 16
            lastTimestamp = header.timestamp
            lastTransit = arrival - Int64(header.timestamp)
            jitter = 0
            jitterBuffer.reset()
            shared.remoteSSRC.store(header.ssrc, ordering: .relaxed)
            shared.baseSequence.store(highest, ordering: .relaxed)
            shared.receivedCount.store(0, ordering: .relaxed)
            statistics.remoteSSRC.store(header.ssrc, ordering: .relaxed)
        } else {
            let previous = UInt16(truncatingIfNeeded: highest)
            let delta = header.sequenceNumber &- previous
            if delta == 1 {
                let step = header.timestamp &- lastTimestamp
                // After a `disable` mute or DTX the timestamp may jump by whole frames (marker set).
                if step != UInt32(AudioFormat.samplesPerFrame) && !(header.marker && step % UInt32(AudioFormat.samplesPerFrame) == 0) {
                    statistics.timestampFaults.bump()
                }
            } else {
                statistics.sequenceFaults.bump()
            }
            if delta > 0 && delta < 0x8000 {
                if delta > 1 { statistics.packetsLost.bump(UInt64(delta - 1)) }
                highest &+= UInt64(delta)
                lastTimestamp = header.timestamp
            } else {
                statistics.lateOrDuplicate.bump()
            }
            let transit = arrival - Int64(header.timestamp)
            let d = Double(abs(transit - lastTransit))
            lastTransit = transit
            jitter += (d - jitter) / 16
        }
        shared.extendedHighest.store(highest, ordering: .relaxed)
        shared.receivedCount.bump()
        shared.jitter.store(UInt32(jitter), ordering: .relaxed)
        statistics.jitterMicroseconds.store(UInt64(jitter * 1000 / 48), ordering: .relaxed)
    }

    @inline(__always)
    private func handleRTCP(length: Int, at now: UInt64) {
        let plain: Int
        do { plain = try srtp.unprotectRTCP(datagram, length: length) } catch {
            if error.isReplay { statistics.replayedPackets.bump() } else { statistics.authFailures.bump() }
            return
        }
        statistics.rtcpReceived.bump()
        statistics.lastReceiveAt.store(now, ordering: .relaxed)
        let compound = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[0..<plain])
        let arrivalMiddle = RTCPPacket.NTPTime(unixNanoseconds: MonotonicClock.unixNow()).middle32
        var bye = false
        RTCPPacket.forEachPacket(in: compound) { item in
            var blocksAt = 8
            switch item.type {
            case RTCPPacket.senderReport:
                guard item.bytes.count >= 28 else { return }
                // The middle 32 bits of the SR's NTP timestamp (seconds at 8, fraction at 12).
                shared.lastSRMiddle.store(UInt32(bigEndianBytes: item.bytes, at: 8) << 16 | UInt32(bigEndianBytes: item.bytes, at: 12) >> 16, ordering: .relaxed)
                shared.lastSRArrival.store(now, ordering: .relaxed)
                blocksAt = 28
            case RTCPPacket.receiverReport:
                blocksAt = 8
            case RTCPPacket.goodbye:
                bye = true
                return
            default:
                return
            }
            for k in 0..<item.count {
                let o = blocksAt + 24 * k
                guard o + 24 <= item.bytes.count else { break }
                guard UInt32(bigEndianBytes: item.bytes, at: o) == localSSRC else { continue }
                let lsr = UInt32(bigEndianBytes: item.bytes, at: o + 16)
                let dlsr = UInt32(bigEndianBytes: item.bytes, at: o + 20)
                guard lsr != 0 else { continue }
                // RFC 3550 §6.4.1: RTT = arrival − LSR − DLSR, in 1/65536 s.
                let rtt = arrivalMiddle &- lsr &- dlsr
                if rtt < 0x8000_0000 {
                    statistics.roundTripMicroseconds.store(UInt64(rtt) * 1_000_000 >> 16, ordering: .relaxed)
                }
            }
        }
        if bye && !byeSeen {
            byeSeen = true
            events(.remoteBye)
        }
    }

    /// A renegotiated far end: its new key and payload type from the next packet on. A new
    /// SSRC from it restarts the sequence tracking and the jitter buffer by itself.
    @inline(__always)
    private func apply(_ command: MediaCommand) {
        guard case .retarget(let target) = command else { return }
        payloadType = target.payloadType
        if let session = target.receiveSRTP { srtp = session }
    }

    private func checkTimeout(now: UInt64) {
        guard configuration.mediaTimeoutSeconds > 0, !timedOut else { return }
        let last = max(statistics.lastReceiveAt.load(ordering: .relaxed), startedAt)
        if now > last && Double(now - last) / 1e9 >= configuration.mediaTimeoutSeconds {
            timedOut = true
            events(.mediaTimeout)
        }
    }

    func finish() {
        playback?.close()
    }
}
