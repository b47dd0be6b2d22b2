import COpus
import MediaCore

/// Opus encoder settings (`opus.*`).
public struct OpusSettings: Sendable, Equatable {
    public var bitrate: Int = 32_000
    public var complexity: Int = 9
    public var fec: Bool = true
    public var dtx: Bool = false
    /// Expected packet loss in percent; makes in-band FEC effective.
    public var expectedLossPercent: Int = 5

    public init(bitrate: Int = 32_000, complexity: Int = 9, fec: Bool = true, dtx: Bool = false, expectedLossPercent: Int = 5) {
        self.bitrate = bitrate
        self.complexity = complexity
        self.fec = fec
        self.dtx = dtx
        self.expectedLossPercent = expectedLossPercent
    }

    /// Checks the ranges libopus accepts; the message names the key.
    public func validate() throws(OpusError) {
        guard (6_000...510_000).contains(bitrate) else { throw OpusError("opus.bitrate \(bitrate) is outside 6000…510000") }
        guard (0...10).contains(complexity) else { throw OpusError("opus.complexity \(complexity) is outside 0…10") }
        guard (0...100).contains(expectedLossPercent) else { throw OpusError("opus.expected-loss \(expectedLossPercent) is outside 0…100") }
    }
}

/// A libopus failure.
public struct OpusError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
    init(call: String, code: Int32) { description = "\(call): \(String(cString: opus_strerror(code)))" }
}

/// A 48 kHz mono Opus encoder in VoIP mode producing 20 ms packets.
///
/// Not thread-safe: owned by the media thread.
public final class OpusEncoder {
    private let encoder: OpaquePointer
    public private(set) var settings: OpusSettings

    public init(settings: OpusSettings) throws(OpusError) {
        try settings.validate()
        var error: Int32 = 0
        guard let encoder = opus_encoder_create(Int32(AudioFormat.sampleRate), 1, OPUS_APPLICATION_VOIP, &error), error == OPUS_OK else {
            throw OpusError(call: "opus_encoder_create", code: error)
        }
        self.encoder = encoder
        self.settings = settings
        cop_encoder_set_signal_voice(encoder)
        try apply(settings)
    }

    deinit { opus_encoder_destroy(encoder) }

    /// Applies new settings (bitrate etc.) between frames.
    public func apply(_ settings: OpusSettings) throws(OpusError) {
        try settings.validate()
        try check("OPUS_SET_BITRATE", cop_encoder_set_bitrate(encoder, Int32(settings.bitrate)))
        try check("OPUS_SET_COMPLEXITY", cop_encoder_set_complexity(encoder, Int32(settings.complexity)))
        try check("OPUS_SET_INBAND_FEC", cop_encoder_set_inband_fec(encoder, settings.fec ? 1 : 0))
        try check("OPUS_SET_DTX", cop_encoder_set_dtx(encoder, settings.dtx ? 1 : 0))
        try check("OPUS_SET_PACKET_LOSS_PERC", cop_encoder_set_packet_loss_perc(encoder, Int32(settings.expectedLossPercent)))
        self.settings = settings
    }

    private var forcedCELT = false

    /// Muted (silence mode) frames are encoded CELT-only so that they decode to exact
    /// digital silence; unmuted frames go back to the encoder's own choice.
    @inline(__always)
    public func setSilenceMode(_ on: Bool) {
        guard on != forcedCELT else { return }
        forcedCELT = on
        cop_encoder_set_force_celt(encoder, on ? 1 : 0)
    }

    /// The encoder's algorithmic delay in samples at 48 kHz.
    public var lookahead: Int {
        var value: Int32 = 0
        cop_encoder_get_lookahead(encoder, &value)
        return Int(value)
    }

    /// Encodes one 20 ms frame (960 samples).
    /// - Returns: the packet length; 1–2 bytes means DTX decided nothing needs sending.
    @inline(__always)
    public func encode(_ pcm: UnsafePointer<Int16>, into output: UnsafeMutableRawBufferPointer) throws(OpusError) -> Int {
        let n = opus_encode(encoder, pcm, Int32(AudioFormat.samplesPerFrame),
                            output.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(output.count))
        guard n >= 0 else { throw OpusError(call: "opus_encode", code: n) }
        return Int(n)
    }

    private func check(_ name: String, _ code: Int32) throws(OpusError) {
        guard code == OPUS_OK else { throw OpusError(call: name, code: code) }
    }
}

/// A 48 kHz Opus decoder (mono output) with packet loss concealment and in-band FEC.
///
/// Not thread-safe: owned by one thread.
public final class OpusDecoder {
    private let decoder: OpaquePointer

    public init() throws(OpusError) {
        var error: Int32 = 0
        guard let decoder = opus_decoder_create(Int32(AudioFormat.sampleRate), 1, &error), error == OPUS_OK else {
            throw OpusError(call: "opus_decoder_create", code: error)
        }
        self.decoder = decoder
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes a packet into `output` (room for at least 960 samples for 20 ms).
    /// - Returns: samples decoded.
    @inline(__always)
    public func decode(_ packet: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Int16>) throws(OpusError) -> Int {
        let n = opus_decode(decoder, packet.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(packet.count),
                            output.baseAddress!, Int32(output.count), 0)
        guard n >= 0 else { throw OpusError(call: "opus_decode", code: n) }
        return Int(n)
    }

    /// Conceals `samples` of lost audio (a multiple of 2.5 ms, as Opus requires; clamped to
    /// `output`); with the next packet at hand, recovers its end from that packet's in-band
    /// FEC instead.
    @inline(__always)
    public func conceal(nextPacket: UnsafeRawBufferPointer?, samples: Int,
                        into output: UnsafeMutableBufferPointer<Int16>) throws(OpusError) -> Int {
        // 120 samples = 2.5 ms at 48 kHz, the smallest size Opus conceals.
        let frame = Int32(min(samples, output.count) / 120 * 120)
        guard frame > 0 else { return 0 }
        let n: Int32
        if let next = nextPacket, next.count > 0 {
            n = opus_decode(decoder, next.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(next.count), output.baseAddress!, frame, 1)
        } else {
            n = opus_decode(decoder, nil, 0, output.baseAddress!, frame, 0)
        }
        guard n >= 0 else { throw OpusError(call: "opus_decode (concealment)", code: n) }
        return Int(n)
    }
}
