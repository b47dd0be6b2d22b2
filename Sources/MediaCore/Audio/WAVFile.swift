import Foundation

/// A 16-bit PCM WAV file decoded to 48 kHz mono samples.
///
/// Stereo is downmixed by averaging; other sample rates are converted with linear
/// interpolation (good enough for a test signal or an announcement loop).
public struct WAVFile: Sendable {
    public let samples: [Int16]
    public let originalSampleRate: Int
    public let originalChannels: Int

    /// Reads and decodes the file at `path`.
    public init(path: String) throws(WAVError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw WAVError(path, "cannot be read") }
        try self.init(data: [UInt8](data), name: path)
    }

    public init(data: [UInt8], name: String = "WAV data") throws(WAVError) {
        func u32(_ o: Int) -> Int { Int(data[o]) | Int(data[o + 1]) << 8 | Int(data[o + 2]) << 16 | Int(data[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(data[o]) | Int(data[o + 1]) << 8 }
        guard data.count >= 12, data[0..<4].elementsEqual("RIFF".utf8), data[8..<12].elementsEqual("WAVE".utf8) else {
            throw WAVError(name, "is not a RIFF/WAVE file")
        }
        var offset = 12
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        var pcm: Range<Int>?
        while offset + 8 <= data.count {
            let id = data[offset..<(offset + 4)]
            let size = u32(offset + 4)
            let body = offset + 8
            let end = min(body + size, data.count)
            if id.elementsEqual("fmt ".utf8), end - body >= 16 {
                var tag = u16(body)
                if tag == 0xFFFE, end - body >= 26 { tag = u16(body + 24) }  // WAVE_FORMAT_EXTENSIBLE: sub-format GUID
                format = (tag, u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id.elementsEqual("data".utf8) {
                pcm = body..<end
            }
            offset = body + size + (size & 1)
        }
        guard let format else { throw WAVError(name, "has no fmt chunk") }
        guard format.tag == 1, format.bits == 16 else {
            throw WAVError(name, "is not 16-bit PCM (format \(format.tag), \(format.bits) bits); convert it, e.g. with `sox in.wav -b 16 -e signed-integer out.wav`")
        }
        guard (1...2).contains(format.channels) else { throw WAVError(name, "has \(format.channels) channels; only mono and stereo are supported") }
        guard (8_000...192_000).contains(format.rate) else { throw WAVError(name, "has an unsupported sample rate of \(format.rate) Hz") }
        guard let pcm, pcm.count >= 2 * format.channels else { throw WAVError(name, "has no audio data") }

        let frames = pcm.count / (2 * format.channels)
        var mono = [Int16](repeating: 0, count: frames)
        for i in 0..<frames {
            var sum = 0
            for c in 0..<format.channels {
                let o = pcm.lowerBound + 2 * (i * format.channels + c)
                sum += Int(Int16(bitPattern: UInt16(data[o]) | UInt16(data[o + 1]) << 8))
            }
            mono[i] = Int16(sum / format.channels)
        }
        samples = format.rate == AudioFormat.sampleRate ? mono : Self.resample(mono, from: format.rate)
        originalSampleRate = format.rate
        originalChannels = format.channels
    }

    static func resample(_ input: [Int16], from rate: Int) -> [Int16] {
        let count = input.count * AudioFormat.sampleRate / rate
        let step = Double(rate) / Double(AudioFormat.sampleRate)
        return (0..<count).map { i in
            let position = Double(i) * step
            let index = Int(position)
            let next = min(index + 1, input.count - 1)
            let fraction = position - Double(index)
            return Int16((1 - fraction) * Double(input[index]) + fraction * Double(input[next]))
        }
    }

    /// Encodes 16-bit mono PCM as a WAV file (used by tests and recordings).
    public static func encode(samples: [Int16], sampleRate: Int = AudioFormat.sampleRate) -> [UInt8] {
        var out = [UInt8]()
        func put32(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
        func put16(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        out += Array("RIFF".utf8); put32(36 + 2 * samples.count); out += Array("WAVE".utf8)
        out += Array("fmt ".utf8); put32(16); put16(1); put16(1); put32(sampleRate); put32(2 * sampleRate); put16(2); put16(16)
        out += Array("data".utf8); put32(2 * samples.count)
        for s in samples { put16(Int(UInt16(bitPattern: s))) }
        return out
    }
}

/// Why a WAV file was refused.
public struct WAVError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "WAV file \(path) \(reason)" }
}
