import CSpanDSP
import MediaCore

/// Encodes a call's 20 ms frames of 48 kHz capture in its negotiated codec: Opus as it is,
/// G.711 and G.722 (spandsp) after speexdsp resamples the frame to 8 or 16 kHz.
///
/// One concrete class with a switch per frame rather than a protocol: the media thread
/// calls no existential. Allocates only in `init`. Not thread-safe: owned by the send thread.
public final class VoiceEncoder {
    public let codec: AudioCodec
    private let engine: Engine
    /// 48 kHz → the codec's rate (nil for Opus).
    private let resampler: Resampler?
    /// One frame at the codec's rate.
    private let narrow = UnsafeMutablePointer<Int16>.allocate(capacity: AudioFormat.samplesPerFrame)

    private enum Engine {
        case opus(OpusEncoder)
        case ulaw, alaw
        case g722(OpaquePointer)
    }

    /// - Parameter opus: the Opus settings (used only when `codec` is Opus).
    public init(codec: AudioCodec, opus: OpusSettings) throws(CodecError) {
        self.codec = codec
        switch codec {
        case .opus:
            do { engine = .opus(try OpusEncoder(settings: opus)) } catch { throw CodecError("Opus encoder: \(error)") }
            resampler = nil
        case .pcmu, .pcma, .g722:
            resampler = try Resampler(from: AudioFormat.sampleRate, to: codec.sampleRate)
            if codec == .g722 {
                // 64 kbit/s, the rate RFC 3551 §4.5.2 names for payload type 9.
                guard let state = g722_encode_init(nil, 64000, 0) else { throw CodecError("g722_encode_init failed") }
                engine = .g722(state)
            } else {
                engine = codec == .pcmu ? .ulaw : .alaw
            }
        }
    }

    deinit {
        if case .g722(let state) = engine { g722_encode_free(state) }
        narrow.deallocate()
    }

    /// RTP timestamp units per 20 ms frame: 960 for Opus, 160 at G.711's and G.722's 8 kHz clock.
    public var timestampStep: UInt32 { UInt32(codec.rtpClockRate / 50) }

    /// Opus's settings (defaults for the other codecs, which have none to change).
    public var opusSettings: OpusSettings {
        if case .opus(let encoder) = engine { return encoder.settings }
        return OpusSettings()
    }

    /// Applies new Opus settings (bitrate on reload); a no-op for the other codecs.
    public func apply(_ settings: OpusSettings) throws(OpusError) {
        if case .opus(let encoder) = engine { try encoder.apply(settings) }
    }

    /// Opus encodes muted frames CELT-only so they decode to exact zeros; G.711's zeros are
    /// exact by themselves (µ-law 0xFF, A-law 0xD5) and G.722's within a few LSB.
    @inline(__always)
    public func setSilenceMode(_ on: Bool) {
        if case .opus(let encoder) = engine { encoder.setSilenceMode(on) }
    }

    /// Whether a packet of `length` bytes is Opus DTX saying nothing needs sending.
    @inline(__always)
    public func isDiscontinuous(_ length: Int) -> Bool {
        if case .opus(let encoder) = engine { return length <= 2 && encoder.settings.dtx }
        return false
    }

    /// The delay from capture to the encoded packet, in samples at 48 kHz: Opus's lookahead, or
    /// the resampler's filter (plus G.722's QMF analysis): how far earlier audio can reach
    /// into the first muted packet.
    public var algorithmicDelay: Int {
        switch engine {
        case .opus(let encoder): encoder.lookahead
        case .ulaw, .alaw: resampler?.inputLatency ?? 0
        // The QMF filter pair delays 22 samples at 16 kHz (ITU-T G.722 §1.2), split here as encoder's half.
        case .g722: (resampler?.inputLatency ?? 0) + 33
        }
    }

    /// Encodes one 20 ms frame (960 samples at 48 kHz). - Returns: the payload length.
    @inline(__always)
    public func encode(_ pcm: UnsafePointer<Int16>, into output: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        let bytes = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        switch engine {
        case .opus(let encoder):
            do { return try encoder.encode(pcm, into: output) } catch { throw CodecError("\(error)") }
        case .ulaw:
            let n = min(resample(pcm), output.count)
            csd_ulaw_encode(bytes, narrow, Int32(n))
            return n
        case .alaw:
            let n = min(resample(pcm), output.count)
            csd_alaw_encode(bytes, narrow, Int32(n))
            return n
        case .g722(let state):
            // Two samples at 16 kHz per byte.
            let n = min(resample(pcm), output.count * 2)
            return Int(g722_encode(state, bytes, narrow, Int32(n)))
        }
    }

    @inline(__always)
    private func resample(_ pcm: UnsafePointer<Int16>) -> Int {
        resampler!.process(pcm, count: AudioFormat.samplesPerFrame, into: narrow, capacity: AudioFormat.samplesPerFrame)
    }
}

/// Decodes the far end's packets of a call's codec into 48 kHz audio, with loss concealment:
/// Opus's own (and its in-band FEC), spandsp's packet loss concealment for G.711 and G.722
/// at their own rate, then speexdsp up to 48 kHz.
///
/// Allocates only in `init`. Not thread-safe: owned by the receive thread.
public final class VoiceDecoder {
    public let codec: AudioCodec
    private let engine: Engine
    /// The codec's rate → 48 kHz (nil for Opus).
    private let resampler: Resampler?
    private let plc: UnsafeMutablePointer<plc_state_t>?
    /// Audio at the codec's rate, before resampling.
    private let narrow: UnsafeMutablePointer<Int16>
    private let narrowCapacity: Int

    private enum Engine {
        case opus(OpusDecoder)
        case ulaw, alaw
        case g722(OpaquePointer)
    }

    /// - Parameter maximumSamples: the most 48 kHz samples one call is asked for (the receive
    ///   loop's buffer); longer G.711/G.722 packets are cut there.
    public init(codec: AudioCodec, maximumSamples: Int = 5760 + AudioFormat.samplesPerFrame) throws(CodecError) {
        self.codec = codec
        narrowCapacity = max(1, maximumSamples * codec.sampleRate / AudioFormat.sampleRate)
        narrow = .allocate(capacity: narrowCapacity)
        switch codec {
        case .opus:
            do { engine = .opus(try OpusDecoder()) } catch { throw CodecError("Opus decoder: \(error)") }
            resampler = nil
            plc = nil
        case .pcmu, .pcma, .g722:
            resampler = try Resampler(from: codec.sampleRate, to: AudioFormat.sampleRate)
            guard let plc = plc_init(nil) else { throw CodecError("plc_init failed") }
            self.plc = plc
            if codec == .g722 {
                guard let state = g722_decode_init(nil, 64000, 0) else { throw CodecError("g722_decode_init failed") }
                engine = .g722(state)
            } else {
                engine = codec == .pcmu ? .ulaw : .alaw
            }
        }
    }

    deinit {
        if case .g722(let state) = engine { g722_decode_free(state) }
        if let plc { plc_free(plc) }
        narrow.deallocate()
    }

    /// 48 kHz samples per unit of the codec's RTP clock: 1 for Opus, 6 for G.711 and G.722
    /// (whose 8000 Hz clock counts one unit per byte, RFC 3551 §4.5.2).
    public var clockScale: Int { AudioFormat.sampleRate / codec.rtpClockRate }

    /// The audio a payload carries, in units of the RTP clock: Opus's from its TOC byte,
    /// G.711's and G.722's one per byte. - Returns: nil for a payload with no audio in it.
    @inline(__always)
    public func rtpSamples(in payload: UnsafeRawBufferPointer) -> Int? {
        switch engine {
        case .opus: OpusPacketDuration.samples(in: payload)
        case .ulaw, .alaw, .g722: payload.isEmpty ? nil : payload.count
        }
    }

    /// Decodes a packet into `output`. - Returns: 48 kHz samples written.
    @inline(__always)
    public func decode(_ packet: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Int16>) throws(CodecError) -> Int {
        switch engine {
        case .opus(let decoder):
            do { return try decoder.decode(packet, into: output) } catch { throw CodecError("\(error)") }
        case .ulaw, .alaw:
            let n = min(packet.count, output.count / 6, narrowCapacity)
            guard n > 0, let bytes = packet.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
            if case .ulaw = engine { csd_ulaw_decode(narrow, bytes, Int32(n)) } else { csd_alaw_decode(narrow, bytes, Int32(n)) }
            return finish(received: n, into: output)
        case .g722(let state):
            let n = min(packet.count, output.count / 6, narrowCapacity / 2)
            guard n > 0, let bytes = packet.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
            return finish(received: Int(g722_decode(state, narrow, bytes, Int32(n))), into: output)
        }
    }

    /// Conceals `samples` (48 kHz) of lost audio; with the next packet at hand, Opus recovers
    /// from its in-band FEC instead. - Returns: 48 kHz samples written.
    @inline(__always)
    public func conceal(nextPacket: UnsafeRawBufferPointer?, samples: Int,
                        into output: UnsafeMutableBufferPointer<Int16>) throws(CodecError) -> Int {
        switch engine {
        case .opus(let decoder):
            do { return try decoder.conceal(nextPacket: nextPacket, samples: samples, into: output) } catch { throw CodecError("\(error)") }
        case .ulaw, .alaw, .g722:
            let n = min(min(samples, output.count) * codec.sampleRate / AudioFormat.sampleRate, narrowCapacity)
            guard n > 0, let plc else { return 0 }
            plc_fillin(plc, narrow, Int32(n))
            return resampler!.process(narrow, count: n, into: output.baseAddress!, capacity: output.count)
        }
    }

    /// Gives received audio to the concealer's history, then resamples it to 48 kHz.
    @inline(__always)
    private func finish(received n: Int, into output: UnsafeMutableBufferPointer<Int16>) -> Int {
        if let plc { plc_rx(plc, narrow, Int32(n)) }
        return resampler!.process(narrow, count: n, into: output.baseAddress!, capacity: output.count)
    }
}
