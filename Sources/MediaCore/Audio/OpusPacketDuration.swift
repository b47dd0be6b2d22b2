/// How much audio an Opus packet carries, read from its table-of-contents byte (RFC 6716
/// §3.1) without decoding it: the jitter buffer counts its delay in time, not in packets,
/// so a 10 ms sender and a 60 ms one get the same delay in milliseconds.
public enum OpusPacketDuration {
    /// Samples at 48 kHz in one frame, by the TOC's configuration number (its top 5 bits):
    /// SILK 10/20/40/60 ms (0–11), hybrid 10/20 ms (12–15), CELT 2.5/5/10/20 ms (16–31).
    @inline(__always)
    private static func frameSamples(configuration: UInt8) -> Int {
        switch configuration {
        case 0..<12: configuration & 3 == 3 ? 2880 : 480 << Int(configuration & 3)
        case 12..<16: configuration & 1 == 0 ? 480 : 960
        default: 120 << Int(configuration & 3)
        }
    }

    /// The longest packet RFC 6716 §3.2.5 allows: 120 ms.
    public static let maximumSamples = 5760

    /// - Returns: the packet's samples at 48 kHz (120 for 2.5 ms up to 5 760 for 120 ms), or
    ///   nil when its TOC or frame count is invalid: empty, a code 3 packet without its frame
    ///   count, zero frames, or more than 120 ms. The frames' lengths are the decoder's to check.
    @inline(__always)
    public static func samples(in packet: UnsafeRawBufferPointer) -> Int? {
        guard let toc = packet.first else { return nil }
        let frame = frameSamples(configuration: toc >> 3)
        let frames: Int
        switch toc & 0x03 {
        case 0: frames = 1
        case 1, 2: frames = 2
        default:
            // Code 3: the frame count is the low 6 bits of the second byte (§3.2.5).
            guard packet.count >= 2 else { return nil }
            frames = Int(packet[1] & 0x3F)
        }
        let total = frame * frames
        guard frames > 0, total <= maximumSamples else { return nil }
        return total
    }
}
