import CSpeexDSP

/// A speexdsp resampler between two fixed rates, for one mono stream (the 48 kHz capture
/// and playback against G.711's 8 kHz and G.722's 16 kHz).
///
/// Its filter keeps history across calls, so consecutive frames join without a seam; it
/// allocates only in `init`. Not thread-safe: owned by one media thread.
final class Resampler {
    private let state: OpaquePointer
    let inputRate: Int
    let outputRate: Int

    /// speexdsp's quality 0–10; 5 is its VoIP default's step up: a stop band far below
    /// G.711's own noise floor for about 5 ms of delay at 48 → 8 kHz.
    static let quality: Int32 = 5

    init(from inputRate: Int, to outputRate: Int) throws(CodecError) {
        var error: Int32 = 0
        guard let state = speex_resampler_init(1, UInt32(inputRate), UInt32(outputRate), Self.quality, &error), error == 0 else {
            throw CodecError("speex_resampler_init \(inputRate) → \(outputRate) Hz failed (\(error))")
        }
        self.state = state
        self.inputRate = inputRate
        self.outputRate = outputRate
    }

    deinit { speex_resampler_destroy(state) }

    /// Resamples `count` samples. - Returns: the samples written (count × the rate ratio for
    /// the integer ratios softphoned uses).
    @inline(__always)
    func process(_ input: UnsafePointer<Int16>, count: Int, into output: UnsafeMutablePointer<Int16>, capacity: Int) -> Int {
        var consumed = UInt32(count)
        var produced = UInt32(capacity)
        speex_resampler_process_int(state, 0, input, &consumed, output, &produced)
        return Int(produced)
    }

    /// Delay the filter adds, in samples of the input rate.
    var inputLatency: Int { Int(speex_resampler_get_input_latency(state)) }

    /// Forgets the filter's history (a new stream).
    func reset() { speex_resampler_reset_mem(state) }
}

/// A codec or resampler that could not be set up.
public struct CodecError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
