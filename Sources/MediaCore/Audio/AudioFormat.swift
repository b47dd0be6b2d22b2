/// The one media format softphoned runs internally: 48 kHz, mono, 16-bit, 20 ms frames.
public enum AudioFormat {
    public static let sampleRate = 48_000
    public static let frameMilliseconds = 20
    /// Samples in one 20 ms frame (and the RTP timestamp step per frame).
    public static let samplesPerFrame = 960
    public static let frameNanoseconds: UInt64 = 20_000_000
}

/// Where the microphone's samples come from (`audio.source`).
public enum AudioSourceSpec: Sendable, Equatable, CustomStringConvertible {
    /// An ALSA PCM, e.g. `default`, `hw:1,0`, `pulse`.
    case alsa(device: String)
    /// A sine tone at the given frequency, paced by the monotonic clock.
    case tone(hertz: Double)
    /// A 16-bit PCM WAV file, looped, paced by the monotonic clock.
    case file(path: String)

    /// Parses `alsa:<pcm>`, `tone:<hz>` or `file:<path.wav>`.
    public init(parsing text: String) throws(AudioSpecError) {
        guard let colon = text.firstIndex(of: ":") else { throw AudioSpecError(text, "expected alsa:<pcm>, tone:<hz> or file:<path.wav>") }
        let kind = text[..<colon]
        let value = String(text[text.index(after: colon)...])
        switch kind {
        case "alsa":
            guard !value.isEmpty else { throw AudioSpecError(text, "the ALSA device name is empty") }
            self = .alsa(device: value)
        case "tone":
            guard let hz = Double(value), hz > 0, hz < Double(AudioFormat.sampleRate) / 2 else {
                throw AudioSpecError(text, "the tone frequency must be a number of hertz between 0 and 24000")
            }
            self = .tone(hertz: hz)
        case "file":
            guard !value.isEmpty else { throw AudioSpecError(text, "the file path is empty") }
            self = .file(path: value)
        default:
            throw AudioSpecError(text, "unknown source kind '\(kind)'; expected alsa, tone or file")
        }
    }

    public var description: String {
        switch self {
        case .alsa(let device): "alsa:\(device)"
        case .tone(let hz): "tone:\(hz.formatted())"
        case .file(let path): "file:\(path)"
        }
    }
}

/// Where the far end's audio goes (`audio.playback`).
public enum AudioSinkSpec: Sendable, Equatable, CustomStringConvertible {
    case alsa(device: String)
    case none

    /// Parses `alsa:<pcm>` or `none`.
    public init(parsing text: String) throws(AudioSpecError) {
        if text == "none" { self = .none; return }
        guard text.hasPrefix("alsa:"), text.count > 5 else { throw AudioSpecError(text, "expected alsa:<pcm> or none") }
        self = .alsa(device: String(text.dropFirst(5)))
    }

    public var description: String {
        switch self {
        case .alsa(let device): "alsa:\(device)"
        case .none: "none"
        }
    }
}

/// An audio source or sink specification that could not be understood.
public struct AudioSpecError: Error, CustomStringConvertible, Equatable {
    public let value: String
    public let reason: String
    init(_ value: String, _ reason: String) {
        self.value = value
        self.reason = reason
    }
    public var description: String { "'\(value)': \(reason)" }
}

extension Double {
    fileprivate func formatted() -> String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
