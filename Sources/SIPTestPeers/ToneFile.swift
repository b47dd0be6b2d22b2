import DaemonTestSupport
import Foundation
import MediaCore

/// A microphone for the SIP peers: a 1 kHz tone at −12 dBFS peak, 48 kHz mono, in a WAV file
/// of its own temporary directory.
public enum ToneFile {
    public static func make(seconds: Double = 10) throws -> URL {
        let rate = AudioFormat.sampleRate
        let samples = (0..<Int(seconds * Double(rate))).map { n in
            Int16(0.25 * 32_767 * sin(2 * Double.pi * 1_000 * Double(n) / Double(rate)))
        }
        let url = try TemporaryDirectory.make(prefix: "sip-tone").appendingPathComponent("tone-1k.wav")
        try Data(WAVFile.encode(samples: samples, sampleRate: rate)).write(to: url)
        return url
    }
}
