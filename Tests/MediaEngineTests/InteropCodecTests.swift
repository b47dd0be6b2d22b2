import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Synchronization
import Testing

/// G.711 and G.722 as decoders this project did not write hear them: GStreamer
/// (`rtppcmudepay ! mulawdec`, `rtppcmadepay ! alawdec`, `rtpg722depay ! avdec_g722`) and
/// ffmpeg read softphoned's SRTP and decode the tone at its frequency, cleanly; and silence
/// mute decodes to the codec's digital silence (µ-law's exact zero; A-law has no zero level,
/// so its quietest code, +8 of 32768; G.722's ADPCM of zeros, a few LSB).
@Suite("Interop: G.711 and G.722 decoded by GStreamer and ffmpeg", .timeLimit(.minutes(1)))
struct InteropCodecTests {
    static let codecs: [AudioCodec] = [.pcmu, .pcma, .g722]

    /// What each codec must reach: G.711's companding keeps a −10 dBFS tone near 38 dB, G.722's
    /// ADPCM at 64 kbit/s somewhat less.
    static func minimumSNR(_ codec: AudioCodec) -> Double { codec == .g722 ? 25 : 30 }

    /// A call sending a 1000 Hz tone in `codec`, built first so its SSRC can go into GStreamer's caps.
    static func call(_ codec: AudioCodec, to port: UInt16, key: SRTPMasterKey, muted: Bool = false) throws -> CallMedia {
        var configuration = CallMediaConfiguration(
            remote: try SocketAddress(host: "127.0.0.1", port: port), bindLoopbackOnly: true,
            payloadType: codec.staticPayloadType ?? 111, sendKey: key, source: .tone(hertz: 1000), playback: .none,
            mediaTimeoutSeconds: 0)
        configuration.codec = codec
        return try CallMedia(configuration: configuration, muted: muted)
    }

    @Test("GStreamer decodes the 1000 Hz tone at its frequency with the codec's SNR", arguments: codecs)
    func gstreamerDecodesTone(codec: AudioCodec) throws {
        try ExternalTool.require("gst-launch-1.0")
        let directory = try TemporaryDirectory.make(prefix: "gst-codec")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let port = try UDPPorts.free()
        let media = try Self.call(codec, to: port, key: key)
        let receiver = try GStreamerReceiver(port: port, ssrc: media.ssrc, key: key, directory: directory,
                                             payloadType: codec.staticPayloadType!, codec: codec)
        media.start()
        Thread.sleep(forTimeInterval: 3)
        media.stop()
        let result = try receiver.finish()
        #expect(result.succeeded, "\(result)")
        let report = ToneReport(samples: receiver.decodedSamples())
        #expect(report.activeSeconds() >= 1.5, "GStreamer decoded too little audio: \(report); \(result)")
        #expect(report.isTone(1000, tolerance: 5), "\(report)")
        #expect(report.signalToNoiseDB >= Self.minimumSNR(codec), "\(report)")
        // 50 packets a second of 160 bytes: G.711's 8000 samples, or G.722's 16000 in 4 bits each.
        #expect(media.statistics.packetsSent.load(ordering: .relaxed) >= 140)
    }

    @Test("ffmpeg decodes the 1000 Hz tone at its frequency", arguments: codecs)
    func ffmpegDecodesTone(codec: AudioCodec) throws {
        try ExternalTool.require("ffmpeg")
        let directory = try TemporaryDirectory.make(prefix: "ffmpeg-codec")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let port = try UDPPorts.freePair()
        let receiver = try FFmpegReceiver(port: port, key: key, directory: directory, seconds: 2,
                                          payloadType: codec.staticPayloadType!, codec: codec)
        let media = try Self.call(codec, to: port, key: key)
        media.start()
        let result = try receiver.wait(timeout: 20)
        media.stop()
        #expect(result.succeeded, "\(result)")
        let report = ToneReport(samples: try receiver.decodedSamples())
        #expect(report.activeSeconds() >= 1.5, "ffmpeg decoded too little audio: \(report); \(result)")
        #expect(report.isTone(1000, tolerance: 5), "\(report)")
        #expect(report.signalToNoiseDB >= Self.minimumSNR(codec), "\(report)")
    }

    @Test("silence mute decodes to exact zeros in µ-law, A-law's quietest code, and at most −60 dBFS in G.722", arguments: codecs)
    func silenceMuteIsDigitalSilence(codec: AudioCodec) throws {
        try ExternalTool.require("gst-launch-1.0")
        let directory = try TemporaryDirectory.make(prefix: "gst-mute")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let port = try UDPPorts.free()
        let media = try Self.call(codec, to: port, key: key, muted: true)
        let receiver = try GStreamerReceiver(port: port, ssrc: media.ssrc, key: key, directory: directory,
                                             payloadType: codec.staticPayloadType!, codec: codec)
        media.start()
        Thread.sleep(forTimeInterval: 2)
        media.stop()
        let result = try receiver.finish()
        #expect(result.succeeded, "\(result)")
        let samples = receiver.decodedSamples()
        #expect(samples.count >= 48_000, "GStreamer decoded \(samples.count) samples; \(result)")
        #expect(media.statistics.packetsSent.load(ordering: .relaxed) >= 90, "silence mode keeps RTP flowing")
        let peak = samples.map { abs(Int($0)) }.max() ?? 0
        switch codec {
        case .pcmu:
            #expect(peak == 0, "a sample of \(peak) where µ-law 0xFF decodes to 0")
        case .pcma:
            // A-law has no zero: its quietest code, 0xD5, decodes to +8 (−72 dBFS); GStreamer's
            // resampler to 48 kHz may ring by a step at the stream's start.
            #expect(peak <= 16 && AudioAnalysis.rmsDBFS(samples) <= -70, "peak \(peak)")
        default:
            #expect(AudioAnalysis.rmsDBFS(samples) <= -60, "peak \(peak)")
        }
    }
}

/// softphoned's own G.711/G.722 path, sample for sample: encoding digital silence gives the
/// codec's silence code, and the decoder's output runs at 48 kHz whatever the packet size.
@Suite("Voice codecs")
struct VoiceCodecTests {
    @Test("digital silence encodes to µ-law 0xFF and A-law 0xD5", arguments: [(AudioCodec.pcmu, UInt8(0xFF)), (.pcma, 0xD5)])
    func silenceCodes(codec: AudioCodec, code: UInt8) throws {
        let encoder = try VoiceEncoder(codec: codec, opus: OpusSettings())
        let zeros = [Int16](repeating: 0, count: AudioFormat.samplesPerFrame)
        var out = [UInt8](repeating: 0, count: 400)
        let length = try zeros.withUnsafeBufferPointer { pcm in
            try out.withUnsafeMutableBytes { try encoder.encode(pcm.baseAddress!, into: $0) }
        }
        #expect(length == 160)
        #expect(out[0..<length].allSatisfy { $0 == code })
        #expect(encoder.timestampStep == 160)
    }

    @Test("a tone through each codec and back keeps its frequency, at 48 kHz, 6 samples per clock unit",
          arguments: [AudioCodec.pcmu, .pcma, .g722])
    func roundTrip(codec: AudioCodec) throws {
        let encoder = try VoiceEncoder(codec: codec, opus: OpusSettings())
        let decoder = try VoiceDecoder(codec: codec)
        #expect(decoder.clockScale == 6)
        var decoded: [Int16] = []
        var packet = [UInt8](repeating: 0, count: 400)
        var pcm = [Int16](repeating: 0, count: 6720)
        // Three seconds, so the measured middle second is clear of the filters' start.
        for frame in 0..<150 {
            let tone = (0..<AudioFormat.samplesPerFrame).map { n in
                Int16(8000 * sin(2 * Double.pi * 1000 * Double(frame * AudioFormat.samplesPerFrame + n) / 48000))
            }
            let length = try tone.withUnsafeBufferPointer { input in
                try packet.withUnsafeMutableBytes { try encoder.encode(input.baseAddress!, into: $0) }
            }
            #expect(packet.withUnsafeBytes { decoder.rtpSamples(in: UnsafeRawBufferPointer(rebasing: $0[0..<length])) } == 160)
            let samples = try packet.withUnsafeBytes { bytes in
                try pcm.withUnsafeMutableBufferPointer { try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<length]), into: $0) }
            }
            #expect(samples == AudioFormat.samplesPerFrame)
            decoded += pcm[0..<samples]
        }
        // A lost packet is concealed with a frame's worth of audio.
        let concealed = try pcm.withUnsafeMutableBufferPointer { try decoder.conceal(nextPacket: nil, samples: 960, into: $0) }
        #expect(concealed == 960)
        let report = ToneReport(samples: decoded)
        #expect(report.isTone(1000, tolerance: 5, levels: -20 ... -6), "\(report)")
        #expect(report.signalToNoiseDB >= InteropCodecTests.minimumSNR(codec), "\(report)")
    }
}
