import MediaCore
import Synchronization

/// The receive half of a call, run on its own thread: UDP → RTP/RTCP demultiplexing
/// (RFC 5761) → SRTP unprotect (with replay protection) → decode (Opus, G.711 or G.722, up
/// to 48 kHz) → playback, plus the far end's RTCP (reports for RTT, BYE) and its RFC 4733
/// DTMF events, which become `MediaEvent.dtmf` and never reach the decoder.
///
/// Every buffer is allocated once in `init`; handling a packet allocates nothing.
public final class ReceiveLoop {
    private let configuration: CallMediaConfiguration
    private let path: MediaPath
    /// nil for a WebRTC call until DTLS has keyed SRTP: earlier packets are dropped.
    private var srtp: SRTPSession?
    private var keyed: Bool { srtp != nil }
    /// Its one input: retargets after a renegotiation, drained before every wait.
    private let commands: MediaCommandQueue
    private var payloadType: UInt8
    private var telephoneEventPayloadType: UInt8?
    private var telephoneEvents = TelephoneEventReceiver()
    private var decoder: VoiceDecoder
    private let playback: PlaybackDevice?
    private let statistics: MediaStatistics
    private let shared: CallMediaShared
    private let events: @Sendable (MediaEvent) -> Void
    /// Our own SSRC, to find the report blocks about our stream.
    private let localSSRC: UInt32

    private let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
    /// Decoded audio waiting to be played: up to one 120 ms Opus packet (the longest RFC
    /// 6716 allows) on top of less than one 20 ms tick left over from the previous packet.
    private let pcm = UnsafeMutableBufferPointer<Int16>.allocate(capacity: ReceiveLoop.pcmCapacity)
    static let pcmCapacity = 5760 + AudioFormat.samplesPerFrame
    /// Samples at the start of `pcm` not yet played.
    private var pending = 0

    private let jitterBuffer: JitterBuffer
    /// Monotonic deadline of the next 20 ms playout tick (0 until the first packet).
    private var nextPlayout: UInt64 = 0
    private var started = false
    /// The far end's RTP source, once a packet has come from it.
    private var sourceSSRC: UInt32 = 0
    /// RFC 3550 A.1, A.3 and A.8 for that source.
    private var reception = ReceptionStatistics()
    /// The sender of the far end's reports before any of its RTP arrived (a far end that
    /// only receives), whose BYE also ends the call.
    private var reportingSSRC: UInt32?
    /// Another source's RTP tried in SRTP this tick (one-off and following-on packets),
    /// and when the tick began: see `admits`.
    private var foreignAttempts = 0
    private var foreignStreamAttempts = 0
    private var foreignTickStart: UInt64 = 0
    /// When another source's RTCP may next reach SRTP.
    private var nextForeignRTCP: UInt64 = 0
    /// When RTP last authenticated: the far end's silence that lets another SSRC take over.
    private var lastRTPAt: UInt64 = 0
    /// With a second socket (RTP port + 1), which one a receive reads first; alternates.
    private var preferRTCPSocket = false
    /// The last sequence number seen from other sources, by a hash of the SSRC: a source
    /// whose packets follow on (a real stream) is let through where one-off SSRCs (a blind
    /// flood) are not. Each entry: a valid bit, the SSRC, the sequence number.
    private let recentSources = UnsafeMutablePointer<UInt64>.allocate(capacity: ReceiveLoop.recentSourceSlots)
    private var startedAt: UInt64 = 0
    private var timedOut = false
    private var byeSeen = false

    /// The receive path of an SDES call on `socket`, as the media thread runs it (benchmarks).
    public convenience init(configuration: CallMediaConfiguration, socket: UDPSocket,
                            statistics: MediaStatistics = MediaStatistics()) throws(CallMediaError) {
        try self.init(configuration: configuration, path: .udp(socket, rtcp: nil), statistics: statistics, commands: MediaCommandQueue(),
                      shared: CallMediaShared(), localSSRC: configuration.ssrc ?? 1, events: { _ in })
    }

    init(configuration: CallMediaConfiguration, path: MediaPath, statistics: MediaStatistics, commands: MediaCommandQueue,
         shared: CallMediaShared, localSSRC: UInt32, events: @escaping @Sendable (MediaEvent) -> Void) throws(CallMediaError) {
        self.configuration = configuration
        self.path = path
        self.commands = commands
        payloadType = configuration.payloadType
        telephoneEventPayloadType = configuration.telephoneEventPayloadType
        self.statistics = statistics
        self.shared = shared
        self.localSSRC = localSSRC
        self.events = events
        if case .sdes(let send, let receive) = configuration.keying {
            do { srtp = try SRTPSession(key: receive ?? send, direction: .receive) } catch {
                throw CallMediaError("SRTP (receive): \(error)")
            }
        } else {
            srtp = nil
        }
        do { decoder = try VoiceDecoder(codec: configuration.codec, maximumSamples: Self.pcmCapacity) } catch {
            throw CallMediaError("\(error)")
        }
        switch configuration.playback {
        case .none: playback = nil
        case .alsa(let device):
            do { playback = try PlaybackDevice(device: device) } catch { throw CallMediaError(error.description, deviceUnavailable: true) }
        }
        pcm.initialize(repeating: 0)
        recentSources.initialize(repeating: 0, count: Self.recentSourceSlots)
        jitterBuffer = JitterBuffer(configuration: .init(
            minimumDelayMilliseconds: configuration.jitterMinimumMilliseconds,
            maximumDelayMilliseconds: configuration.jitterMaximumMilliseconds))
    }

    deinit {
        datagram.deallocate()
        pcm.deallocate()
        recentSources.deallocate()
    }

    /// Waits up to 20 ms for a datagram and handles it; checks the media timeout.
    @inline(__always)
    public func runOnce() {
        let now = MonotonicClock.now()
        if startedAt == 0 { startedAt = now }
        commands.drain(apply)
        let wait = nextPlayout == 0 ? 20 : (nextPlayout > now ? Int32(min(20, (nextPlayout - now) / 1_000_000)) : 0)
        preferRTCPSocket.toggle()
        if let length = path.receive(into: datagram, timeoutMilliseconds: wait, preferRTCPSocket: preferRTCPSocket), keyed {
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

    /// What the clear header shows is refused before SRTP: libsrtp2's crypto allocates
    /// (7–14 times per packet in its NSS backend), so a flood must not reach it.
    @inline(__always)
    private func handle(length: Int, at now: UInt64) {
        let packet = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[0..<length])
        guard length >= 12, packet[0] >> 6 == 2 else {
            statistics.malformedPackets.bump()
            return
        }
        // RTP's SSRC and SRTCP's sender SSRC are both in clear at offset 4 or 8 (RFC 3711 §3.1, §3.4).
        if RTPDemultiplexer.isRTCP(packet) {
            guard admits(UInt32(bigEndianBytes: packet, at: 4), sequence: nil, at: now) else { return }
            handleRTCP(length: length, at: now)
        } else {
            let type = packet[1] & 0x7F
            guard type == payloadType || type == telephoneEventPayloadType else {
                statistics.malformedPackets.bump()
                return
            }
            guard admits(UInt32(bigEndianBytes: packet, at: 8), sequence: UInt16(packet[2]) << 8 | UInt16(packet[3]), at: now) else { return }
            handleRTP(length: length, at: now)
        }
    }

    /// The far end's source: its RTP's SSRC, or before any RTP its reports' sender.
    private var farEnd: UInt32? { started ? sourceSSRC : reportingSSRC }

    /// Whether a datagram from `ssrc` goes on to SRTP (`sequence`: its RTP sequence number;
    /// nil for RTCP). The far end's own always does.
    ///
    /// Another source's RTP is considered only while no far end is known (the call's first
    /// packets) or once the far end's RTP has been silent for three ticks — how a far end
    /// that changes its SSRC (a B2BUA's new leg) takes over, while a flood of other SSRCs
    /// costs no crypto as long as the far end talks. Then a packet that follows on from the
    /// same source's previous one (sequence + 1…3: a stream) is tried, up to 8 per tick,
    /// and any other one packet per tick: a blind flood of one-off SSRCs neither reaches
    /// the crypto nor hides the far end, whose second packet is let through.
    ///
    /// Another source's RTCP (a peer whose reports come from a receive-only SSRC) is tried
    /// at most once per second. The rest is counted and dropped.
    @inline(__always)
    private func admits(_ ssrc: UInt32, sequence: UInt16?, at now: UInt64) -> Bool {
        if let farEnd, ssrc == farEnd { return true }
        guard let sequence else {
            if now >= nextForeignRTCP {
                nextForeignRTCP = now &+ 1_000_000_000
                return true
            }
            statistics.foreignSourcePackets.bump()
            return false
        }
        let followsOn = recordForeign(ssrc, sequence: sequence)
        if farEnd == nil || now &- lastRTPAt >= 3 * AudioFormat.frameNanoseconds {
            if now &- foreignTickStart >= AudioFormat.frameNanoseconds {
                foreignTickStart = now
                foreignAttempts = 0
                foreignStreamAttempts = 0
            }
            if followsOn && foreignStreamAttempts < 8 {
                foreignStreamAttempts += 1
                return true
            }
            if foreignAttempts < 1 {
                foreignAttempts += 1
                return true
            }
        }
        statistics.foreignSourcePackets.bump()
        return false
    }

    /// Remembers `ssrc`'s sequence number. - Returns: whether it follows on from the last
    /// one remembered for that SSRC (which a flood rarely leaves in place: 4096 slots).
    @inline(__always)
    private func recordForeign(_ ssrc: UInt32, sequence: UInt16) -> Bool {
        let slot = recentSources + Int((UInt64(ssrc) &* 0x9E37_79B9_7F4A_7C15) >> 52)
        let previous = slot.pointee
        slot.pointee = 1 << 63 | UInt64(ssrc) << 16 | UInt64(sequence)
        guard previous >> 63 == 1, UInt32(truncatingIfNeeded: previous >> 16) == ssrc else { return false }
        return (1...3).contains(sequence &- UInt16(truncatingIfNeeded: previous))
    }

    /// Slots of `recentSources` (a power of two; the hash takes the top 12 bits).
    static let recentSourceSlots = 4096

    @inline(__always)
    private func handleRTP(length: Int, at now: UInt64) {
        guard let srtp else { return }
        let plain: Int
        do { plain = try srtp.unprotect(datagram, length: length) } catch {
            if error.isReplay { statistics.replayedPackets.bump() } else { statistics.authFailures.bump() }
            return
        }
        // Authenticated: the far end is there, even when its payload is an empty keepalive.
        statistics.lastReceiveAt.store(now, ordering: .relaxed)
        lastRTPAt = now
        guard let (header, payload) = RTPHeader.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[0..<plain])) else {
            statistics.malformedPackets.bump()
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[payload])
        if header.payloadType == telephoneEventPayloadType {
            guard let event = TelephoneEvent(parsing: bytes) else {
                statistics.malformedPackets.bump()
                return
            }
            statistics.packetsReceived.bump()
            statistics.bytesReceived.bump(UInt64(length))
            track(header, at: now)
            let reports = telephoneEvents.receive(event, timestamp: header.timestamp)
            if let first = reports.first { report(first) }
            if let second = reports.second { report(second) }
            return
        }
        guard let rtpSamples = decoder.rtpSamples(in: bytes) else {
            statistics.malformedPackets.bump()
            return
        }
        statistics.packetsReceived.bump()
        statistics.bytesReceived.bump(UInt64(length))
        track(header, at: now)
        // The jitter buffer counts in 48 kHz samples whatever the codec's clock: a timestamp
        // scaled with wrapping keeps every difference between timestamps (mod 2^32).
        let scale = decoder.clockScale
        let result = jitterBuffer.insert(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp &* UInt32(scale),
                                         marker: header.marker, payload: bytes, samples: rtpSamples * scale, arrival: now)
        if result == .duplicate || result == .late { statistics.lateOrDuplicate.bump() }
        if nextPlayout == 0 { nextPlayout = now &+ AudioFormat.frameNanoseconds }
    }

    /// One 20 ms tick of the far end's audio. Packets of any Opus duration (2.5 to 120 ms,
    /// one frame or several) are decoded into `pcm` until it holds a tick's worth, and
    /// exactly one tick's worth is played: a 10 ms sender's packets are taken two per tick,
    /// a 60 ms sender's one every third tick. A lost packet is concealed (from the next
    /// packet's in-band FEC when it is here) and silence fills what the far end did not send.
    @inline(__always)
    private func playout(now: UInt64) {
        let frame = AudioFormat.samplesPerFrame
        // Bounded: 48 of the shortest packets (2.5 ms) cover any gap a tick can have.
        var pulls = 0
        fill: while pending < frame && pulls < 48 {
            pulls += 1
            let space = UnsafeMutableBufferPointer(rebasing: pcm[pending...])
            switch jitterBuffer.nextFrame(now: now) {
            case .packet(let packet):
                let samples = (try? decoder.decode(packet.payload, into: space)) ?? 0
                if samples > 0 { statistics.framesPlayed.bump() }
                pending += samples
            case .lost(_, let next):
                // The lost packet's whole duration, so a 60 ms sender's loss keeps the pace.
                pending += (try? decoder.conceal(nextPacket: next?.payload, samples: Int(jitterBuffer.packetSamples), into: space)) ?? 0
                if next != nil { statistics.fecRecoveredFrames.bump() } else { statistics.concealedFrames.bump() }
            case .empty(let wait):
                if wait == .underrun {
                    pending += (try? decoder.conceal(nextPacket: nil, samples: frame - pending, into: space)) ?? 0
                    statistics.concealedFrames.bump()
                }
                break fill
            }
        }
        if pending < frame {
            UnsafeMutableBufferPointer(rebasing: pcm[pending..<frame]).update(repeating: 0)
            pending = frame
        }
        statistics.jitterBufferMilliseconds.store(UInt64(jitterBuffer.targetDelayMilliseconds), ordering: .relaxed)
        statistics.outputLevelCentiDB.store(FrameLevel.centiDB(pcm.baseAddress!, count: frame), ordering: .relaxed)
        if let playback {
            playback.write(UnsafeBufferPointer(rebasing: pcm[0..<frame]), statistics: statistics, events: events)
            statistics.playbackQueueMicroseconds.store(UInt64(playback.queuedFrames) * 1000 / 48, ordering: .relaxed)
        }
        // What is left of a longer packet plays on the next ticks.
        pending -= frame
        if pending > 0 {
            UnsafeMutableRawPointer(pcm.baseAddress!).copyMemory(from: pcm.baseAddress! + frame, byteCount: pending * MemoryLayout<Int16>.size)
        }
    }

    /// Hands a finished DTMF event to the daemon (rare: one per digit).
    private func report(_ event: TelephoneEventReceiver.Report) {
        let clock = decoder.codec.rtpClockRate
        events(.dtmf(event: event.event, durationMilliseconds: event.duration * 1000 / clock))
    }

    /// Sequence, loss and jitter bookkeeping for the far end's source.
    @inline(__always)
    private func track(_ header: RTPHeader, at now: UInt64) {
        if !started || header.ssrc != sourceSSRC {
            started = true
            sourceSSRC = header.ssrc
            reception = ReceptionStatistics()
            jitterBuffer.reset()
            shared.remoteSSRC.store(header.ssrc, ordering: .relaxed)
            statistics.remoteSSRC.store(header.ssrc, ordering: .relaxed)
        }
        if !reception.update(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, arrival: now) {
            // On probation, or a stray from another sequence space: not counted.
            statistics.sequenceFaults.bump()
        }
        shared.publish(reception.totals)
        statistics.packetsLost.store(UInt64(max(0, reception.cumulativeLost)), ordering: .relaxed)
        statistics.jitterMicroseconds.store(UInt64(reception.jitterMilliseconds * 1000), ordering: .relaxed)
    }

    @inline(__always)
    private func handleRTCP(length: Int, at now: UInt64) {
        guard let srtp else { return }
        let plain: Int
        do { plain = try srtp.unprotectRTCP(datagram, length: length) } catch {
            if error.isReplay { statistics.replayedPackets.bump() } else { statistics.authFailures.bump() }
            return
        }
        statistics.rtcpReceived.bump()
        statistics.lastReceiveAt.store(now, ordering: .relaxed)
        let compound = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[0..<plain])
        let arrivalMiddle = RTCPPacket.NTPTime(unixNanoseconds: MonotonicClock.unixNow()).middle32
        let farEnd = self.farEnd
        var bye = false
        RTCPPacket.forEachPacket(in: compound) { item in
            switch item.type {
            case RTCPPacket.senderReport, RTCPPacket.receiverReport:
                guard let report = RTCPReceivedReport(parsing: item.bytes) else { return }
                if !started { reportingSSRC = report.ssrc }
                if let sender = report.senderInfo, farEnd == nil || report.ssrc == farEnd {
                    shared.lastSRMiddle.store(sender.ntp.middle32, ordering: .relaxed)
                    shared.lastSRArrival.store(now, ordering: .relaxed)
                }
                if let rtt = report.reportBlock(about: localSSRC)?.roundTripTime(arrival: arrivalMiddle) {
                    statistics.roundTripMicroseconds.store(UInt64(rtt * 1_000_000), ordering: .relaxed)
                }
            case RTCPPacket.goodbye:
                // RFC 3550 §6.6: the SSRCs leaving follow the header. Only the far end's own
                // ends the call; a BYE for any other source (a mixer's member, a stray) does not.
                for index in 0..<item.count {
                    let offset = 4 + 4 * index
                    guard offset + 4 <= item.bytes.count else { break }
                    if let farEnd, UInt32(bigEndianBytes: item.bytes, at: offset) == farEnd { bye = true }
                }
            default:
                return
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
        switch command {
        case .retarget(let target):
            payloadType = target.payloadType
            telephoneEventPayloadType = target.telephoneEventPayloadType
            if let session = target.receiveSRTP { srtp = session }
            if let new = target.decoder {
                // What is buffered is the old codec's: it cannot be decoded by the new one.
                decoder = new
                jitterBuffer.reset()
                pending = 0
            }
        case .keys(let keys):
            srtp = keys.receive
        default:
            return
        }
    }

    private func checkTimeout(now: UInt64) {
        guard configuration.mediaTimeoutSeconds > 0, !timedOut else { return }
        let last = max(statistics.lastReceiveAt.load(ordering: .relaxed), startedAt)
        if now > last && Double(now - last) / 1e9 >= configuration.mediaTimeoutSeconds {
            timedOut = true
            events(.mediaTimeout)
        }
    }

    public func finish() {
        playback?.close()
    }
}
