import Foundation

/// Headerless 16-bit little-endian PCM, as `filesink`, `parec` and `sox -t raw` write it.
public enum RawPCM {
    /// Decodes little-endian 16-bit samples (a trailing odd byte is ignored).
    public static func samples(_ data: Data) -> [Int16] {
        var samples = [Int16](repeating: 0, count: data.count / 2)
        data.withUnsafeBytes { raw in
            for i in samples.indices {
                samples[i] = Int16(bitPattern: UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8)
            }
        }
        return samples
    }

    /// The samples in the file at `path`; empty when it is missing or empty.
    public static func samples(atPath path: String) -> [Int16] {
        FileManager.default.contents(atPath: path).map(samples) ?? []
    }
}
