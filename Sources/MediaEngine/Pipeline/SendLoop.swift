import MediaCore
import Synchronization

/// The send half of a call, run on its own thread: capture → commands → mute gate → the
/// codec (Opus, or G.711/G.722 after resampling) → RTP → SRTP → UDP, with RFC 4733 DTMF in
/// place of audio while a digit plays, RTCP Sender Reports, and a BYE at the end.
///
/// Its one input is `commands`, drained at every frame boundary after the frame is captured
/// and before it is gated, so every command applies to the first frame it can affect.
/// Every buffer is allocated once in `init`; `runFrame()` allocates nothing. Public so the
/// benchmarks measure this very path.
public final class SendLoop {
    private let configuration: CallMediaConfiguration
    private let path: MediaPath
    /// nil for a WebRTC call until DTLS has keyed SRTP: no RTP or RTCP leaves before.
    private var srtp: SRTPSession?
    private var encoder: VoiceEncoder
    private let capture: CaptureDevice
    private let statistics: MediaStatistics
    public let commands: MediaCommandQueue
    private let shared: CallMediaShared
    private let events: @Sendable (MediaEvent) -> Void
    private var remote: SocketAddress
    private var remoteRTCP: SocketAddress
    private var payloadType: UInt8
    private var telephoneEventPayloadType: UInt8?
    /// DTMF digits queued by `call.dtmf`, sent between audio frames.
    private let dtmf = TelephoneEventSender()
    private var sending: Bool
    /// Whether SRTP is keyed (a WebRTC call: once DTLS has finished).
    private var keyed: Bool { srtp != nil }

    private let frame = UnsafeMutablePointer<Int16>.allocate(capacity: AudioFormat.samplesPerFrame)
    private let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
    private let rtcp = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
    private let reportBlock = UnsafeMutableRawBufferPointer.allocate(byteCount: 24, alignment: 8)
    private let cname: [UInt8]

    private var gate: MuteGate
    private var vad = VoiceActivityDetector()
    let ssrc: UInt32
    private var sequence: UInt16
    private var timestamp: UInt32
    /// Set when the next packet starts a talkspurt (first packet, after `disable` or DTX).
    private var markerPending = true
    private var packetCount: UInt32 = 0
    private var octetCount: UInt32 = 0
    private var nextReportAt: UInt64 = 0
    private var deviceDown = false
    private var nextReopenAt: UInt64 = 0
    private var reportPrior = ReceptionStatistics.Totals()

    /// Prepares the send path of a call.
    /// - Parameters:
    ///   - muted: the gate's state before any command (the mute owner re-asserts its own at once).
    ///   - paced: `false` runs a `tone:`/`file:` source as fast as it is read (benchmarks).
    public convenience init(configuration: CallMediaConfiguration, socket: UDPSocket, statistics: MediaStatistics = MediaStatistics(),
                            muted: Bool = false, mode: MuteMode = .silence, paced: Bool = true) throws(CallMediaError) {
        try self.init(configuration: configuration, path: .udp(socket, rtcp: nil), statistics: statistics, commands: MediaCommandQueue(),
                      muted: muted, mode: mode, shared: CallMediaShared(), paced: paced, events: { _ in })
    }

    /// The send path of a WebRTC call over `webrtc`'s selected ICE pair (benchmarks; a
    /// configuration keyed `.sdes` sends with its own send key).
    public convenience init(configuration: CallMediaConfiguration, webrtc: WebRTCTransport, paced: Bool = true) throws(CallMediaError) {
        try self.init(configuration: configuration, path: .webrtc(webrtc), statistics: MediaStatistics(), commands: MediaCommandQueue(),
                      muted: false, mode: .silence, shared: CallMediaShared(), paced: paced, events: { _ in })
    }

    init(configuration: CallMediaConfiguration, path: MediaPath, statistics: MediaStatistics, commands: MediaCommandQueue,
         muted: Bool, mode: MuteMode, shared: CallMediaShared, paced: Bool = true,
         events: @escaping @Sendable (MediaEvent) -> Void) throws(CallMediaError) {
        self.configuration = configuration
        self.path = path
        self.statistics = statistics
        self.commands = commands
        self.shared = shared
        self.events = events
        remote = configuration.remote
        remoteRTCP = configuration.remoteRTCP ?? configuration.remote
        payloadType = configuration.payloadType
        telephoneEventPayloadType = configuration.telephoneEventPayloadType
        sending = configuration.sending
        if case .sdes(let key, _) = configuration.keying {
            do { srtp = try SRTPSession(key: key, direction: .send) } catch { throw CallMediaError("SRTP (send): \(error)") }
        } else {
            srtp = nil
        }
        do { encoder = try VoiceEncoder(codec: configuration.codec, opus: configuration.opus) } catch { throw CallMediaError("\(error)") }
        do { capture = try CaptureDevice(spec: configuration.source, paced: paced) } catch {
            throw CallMediaError(error.description, deviceUnavailable: true)
        }
        cname = Array(configuration.cname.utf8.prefix(255))
        var random = SystemRandomNumberGenerator()
        ssrc = configuration.ssrc ?? UInt32.random(in: 1...UInt32.max, using: &random)
        sequence = UInt16.random(in: 0...UInt16.max, using: &random)
        timestamp = UInt32.random(in: 0...UInt32.max, using: &random)
        gate = MuteGate(muted: muted, mode: mode)
        statistics.ssrc.store(ssrc, ordering: .relaxed)
    }

    deinit {
        frame.deallocate()
        packet.deallocate()
        rtcp.deallocate()
        reportBlock.deallocate()
        gate.deallocate()
    }

    /// Opens the microphone. A failure is reported and the call goes on with silence.
    public func open() {
        let now = MonotonicClock.now()
        // RFC 3550 §6.2: the first report after a randomised fraction of the interval (1–3 s).
        nextReportAt = now + UInt64.random(in: 1_000_000_000...3_000_000_000)
        do {
            try capture.open()
        } catch {
            markDeviceDown(error.description, now: now)
        }
    }

    /// Captures, gates, encodes and sends one 20 ms frame, then any RTCP that is due.
    @inline(__always)
    public func runFrame() {
        let captured = captureFrame()
        statistics.framesCaptured.bump()
        let now = MonotonicClock.now()
        statistics.heartbeat.store(now, ordering: .relaxed)
        let level = FrameLevel.centiDB(frame)
        statistics.inputLevelCentiDB.store(level, ordering: .relaxed)
        commands.drain(apply)

        let decision = gate.apply(to: frame, captured: captured)
        if gate.muted {
            statistics.mutedFrames.bump()
            if vad.feed(levelCentiDB: level, at: now) {
                statistics.speakingWhileMuted.bump()
                events(.speakingWhileMuted)
            }
        } else if decision.transition {
            vad.reset()
        }

        encoder.setSilenceMode(gate.muted && decision.fullyMuted)
        if sending && keyed && dtmf.isBusy, let eventType = telephoneEventPayloadType,
           let event = dtmf.nextFrame(timestamp: timestamp, frameSamples: Int(encoder.timestampStep), clockRate: encoder.codec.rtpClockRate) {
            // A digit is not microphone audio: it goes out muted or not, in the frame's place.
            sendEvent(event, payloadType: eventType)
        } else if !sending || !keyed || (gate.muted && gate.disableMode && decision.fullyMuted) {
            // `disable` mode and hold: no RTP, but the timestamp follows real time so the
            // first packet after the gap carries the elapsed time (RFC 3550 §5.1).
            timestamp &+= encoder.timestampStep
            markerPending = true
        } else {
            sendMedia()
        }
        if now >= nextReportAt && keyed {
            sendReport(bye: false)
            let interval: UInt64 = 5_000_000_000
            nextReportAt = now + UInt64.random(in: (interval / 2)...(interval + interval / 2))
        }
    }

    @inline(__always)
    private func captureFrame() -> CaptureInstants {
        if deviceDown {
            let now = MonotonicClock.now()
            if now >= nextReopenAt {
                do {
                    try capture.open()
                    deviceDown = false
                    statistics.deviceRecoveries.bump()
                    events(.deviceRecovered(capture.spec.description))
                } catch {
                    nextReopenAt = now + 1_000_000_000
                }
            }
            if deviceDown { return capture.silentFrame(into: frame) }
        }
        do {
            let at = try capture.read(into: frame)
            statistics.overruns.store(UInt64(capture.overruns), ordering: .relaxed)
            statistics.captureDelayMicroseconds.store(UInt64(capture.latencyMicroseconds), ordering: .relaxed)
            return at
        } catch {
            capture.close()
            markDeviceDown(error.description, now: MonotonicClock.now())
            return capture.silentFrame(into: frame)
        }
    }

    private func markDeviceDown(_ message: String, now: UInt64) {
        deviceDown = true
        nextReopenAt = now + 1_000_000_000
        statistics.deviceErrors.bump()
        events(.deviceError(message))
    }

    /// Carries out one command from the queue (at a frame boundary, in order).
    @inline(__always)
    private func apply(_ command: MediaCommand) {
        switch command {
        case .mute(let at, let mode):
            gate.add(.init(mute: true, at: at, disableMode: mode == .disable))
        case .unmute(let at):
            gate.add(.init(mute: false, at: at, disableMode: false))
        case .setBitrate(let bitrate):
            var settings = encoder.opusSettings
            settings.bitrate = bitrate
            if (try? encoder.apply(settings)) == nil { statistics.sendErrors.bump() }
        case .setDirection(let sending):
            self.sending = sending
        case .retarget(let target):
            remote = target.remote
            remoteRTCP = target.remoteRTCP ?? target.remote
            payloadType = target.payloadType
            telephoneEventPayloadType = target.telephoneEventPayloadType
            if let session = target.sendSRTP { srtp = session }
            if let new = target.encoder { encoder = new }
        case .keys(let keys):
            srtp = keys.send
        case .dtmf(let event, let duration, let gap):
            if !dtmf.enqueue(event: event, durationMilliseconds: Int(duration), gapMilliseconds: Int(gap)) { statistics.sendErrors.bump() }
        }
    }

    @inline(__always)
    private func sendMedia() {
        let payload = UnsafeMutableRawBufferPointer(rebasing: packet[RTPHeader.size..<(packet.count - SRTPSession.maxTrailer)])
        let encoded: Int
        do { encoded = try encoder.encode(frame, into: payload) } catch {
            statistics.sendErrors.bump()
            return
        }
        if encoder.isDiscontinuous(encoded) {
            // DTX: nothing worth sending; the next real packet starts a talkspurt.
            timestamp &+= encoder.timestampStep
            markerPending = true
            return
        }
        send(payloadLength: encoded, header: RTPHeader(marker: markerPending, payloadType: payloadType,
                                                       sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc))
        markerPending = false
    }

    /// Sends one RFC 4733 packet in this frame's place. The stream's own timestamp moves on
    /// with real time, so audio after the digit carries the time it took.
    @inline(__always)
    private func sendEvent(_ event: TelephoneEventSender.Packet, payloadType: UInt8) {
        event.payload.write(to: UnsafeMutableRawBufferPointer(rebasing: packet[RTPHeader.size..<(RTPHeader.size + TelephoneEvent.size)]))
        send(payloadLength: TelephoneEvent.size, header: RTPHeader(marker: event.marker, payloadType: payloadType,
                                                                   sequenceNumber: sequence, timestamp: event.timestamp, ssrc: ssrc))
    }

    /// Protects and sends the packet whose payload is in place, and moves the stream on by a frame.
    @inline(__always)
    private func send(payloadLength: Int, header: RTPHeader) {
        header.write(to: packet)
        let plainLength = RTPHeader.size + payloadLength
        guard let srtp else { return }
        let length: Int
        do { length = try srtp.protect(packet, length: plainLength) } catch {
            statistics.sendErrors.bump()
            return
        }
        if path.send(UnsafeRawBufferPointer(rebasing: packet[0..<length]), to: remote) == 0 {
            statistics.packetsSent.bump()
            statistics.bytesSent.bump(UInt64(length))
        } else {
            statistics.sendErrors.bump()
        }
        // RFC 3550: the SR counts packets and payload octets the sender generated.
        packetCount &+= 1
        octetCount &+= UInt32(payloadLength)
        statistics.lastSequence.store(UInt32(sequence), ordering: .relaxed)
        statistics.lastTimestamp.store(header.timestamp, ordering: .relaxed)
        sequence &+= 1
        timestamp &+= encoder.timestampStep
    }

    /// Sends a compound SRTCP packet: SR (or RR when not sending) + SDES CNAME [+ BYE].
    func sendReport(bye: Bool) {
        guard let srtp else { return }
        let unixNow = MonotonicClock.unixNow()
        let blocks = shared.writeReportBlock(into: reportBlock, now: MonotonicClock.now(), prior: &reportPrior)
        let blockBytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(reportBlock)[0..<(blocks ? 24 : 0)])
        let sender: RTCPPacket.SenderInfo? = packetCount == 0 ? nil : RTCPPacket.SenderInfo(
            ntp: RTCPPacket.NTPTime(unixNanoseconds: unixNow), rtpTimestamp: timestamp,
            packetCount: packetCount, octetCount: octetCount)
        let limit = rtcp.count - SRTPSession.maxTrailer
        var length = RTCPPacket.writeReport(into: UnsafeMutableRawBufferPointer(rebasing: rtcp[0..<limit]), ssrc: ssrc,
                                            sender: sender, reportBlocks: blockBytes)
        length += RTCPPacket.writeCNAME(into: UnsafeMutableRawBufferPointer(rebasing: rtcp[length..<limit]), ssrc: ssrc, cname: cname)
        if bye {
            length += RTCPPacket.writeBye(into: UnsafeMutableRawBufferPointer(rebasing: rtcp[length..<limit]), ssrc: ssrc)
        }
        guard let protected = try? srtp.protectRTCP(rtcp, length: length) else {
            statistics.sendErrors.bump()
            return
        }
        if path.send(UnsafeRawBufferPointer(rebasing: rtcp[0..<protected]), to: remoteRTCP) == 0 {
            statistics.rtcpSent.bump()
        } else {
            statistics.sendErrors.bump()
        }
    }

    /// Ends the call's sending: a final report with BYE, then the microphone is closed.
    public func finish() {
        sendReport(bye: true)
        capture.close()
    }
}
