import Foundation
import DaemonTestSupport
import MediaCore
import MediaEngine

/// ffmpeg as the far end: it reads an SDP file with an RFC 4568 `a=crypto` line, receives
/// SRTP on a UDP port, decodes Opus with its own decoder and writes a WAV file.
///
/// A second peer that shares no code with GStreamer or with us (ffmpeg's SRTP and RTP
/// depacketisation are its own).
public final class FFmpegReceiver: Sendable {
    /// The UDP port ffmpeg listens on (127.0.0.1); it also binds the next one for RTCP.
    public let port: UInt16
    /// The SDP file ffmpeg reads.
    public let sdp: URL
    /// Where the decoded audio goes (48 kHz mono 16-bit WAV).
    public let output: URL
    private let process: ExternalProcess

    /// The suites ffmpeg's SRTP implementation offers (no AEAD).
    public static let supportedSuites: [SRTPSuite] = [.aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32]

    /// Writes the SDP, starts ffmpeg and waits until its socket is bound.
    /// - Parameters:
    ///   - port: the port to receive on (see `UDPPorts.freePair()`).
    ///   - key: the sender's key; it goes into the SDP's `a=crypto` line.
    ///   - seconds: how much decoded audio ffmpeg records before it exits on its own.
    /// - Throws: `ExternalToolError` when ffmpeg is missing, `FFmpegError` when it does not start.
    public init(port: UInt16, key: SRTPMasterKey, directory: URL, seconds: Double = 2, payloadType: UInt8 = 111,
                codec: AudioCodec = .opus) throws {
        precondition(Self.supportedSuites.contains(key.suite), "ffmpeg does not implement \(key.suite.rawValue)")
        self.port = port
        sdp = directory.appendingPathComponent("ffmpeg-\(port).sdp")
        output = directory.appendingPathComponent("ffmpeg-\(port).wav")
        try Data(Self.sessionDescription(port: port, key: key, payloadType: payloadType, codec: codec).utf8).write(to: sdp)
        process = try ExternalProcess("ffmpeg", [
            "-nostdin", "-hide_banner", "-loglevel", "warning",
            "-protocol_whitelist", "file,udp,rtp,srtp",
            "-i", sdp.path,
            "-t", String(seconds), "-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le",
            "-y", output.path,
        ])
        guard UDPPorts.waitUntilBound(port, timeout: 20, process: process) else {
            let result = try? process.interruptAndWait(timeout: 5)
            throw FFmpegError("ffmpeg did not bind UDP port \(port)" + (result.map { ": \($0)" } ?? ""))
        }
    }

    /// The SDP ffmpeg reads: one stream of `codec` with an SDES key (RFC 4568; Opus per RFC 7587,
    /// G.711 and G.722 per RFC 3551).
    public static func sessionDescription(port: UInt16, key: SRTPMasterKey, payloadType: UInt8 = 111, codec: AudioCodec = .opus) -> String {
        let rtpmap = codec == .opus ? "opus/48000/2" : "\(codec.encodingName)/\(codec.rtpClockRate)"
        return """
        v=0\r
        o=- 0 0 IN IP4 127.0.0.1\r
        s=softphoned interop\r
        c=IN IP4 127.0.0.1\r
        t=0 0\r
        m=audio \(port) RTP/SAVP \(payloadType)\r
        a=rtpmap:\(payloadType) \(rtpmap)\r
        a=crypto:1 \(key.suite.rawValue) \(key.inlineKey)\r
        a=recvonly\r

        """
    }

    /// Waits for ffmpeg to finish recording (it exits by itself after `seconds` of audio).
    @discardableResult
    public func wait(timeout: Double = 20) throws -> ExternalProcess.Result {
        try process.wait(timeout: timeout)
    }

    /// Stops ffmpeg early (it finalises the WAV on SIGINT).
    @discardableResult
    public func stop(timeout: Double = 10) throws -> ExternalProcess.Result {
        try process.interruptAndWait(timeout: timeout)
    }

    /// True while ffmpeg is still recording.
    public var isRunning: Bool { process.isRunning }

    /// The decoded audio; empty when ffmpeg decoded nothing or wrote no file.
    public func decodedSamples() throws -> [Int16] {
        guard FileManager.default.fileExists(atPath: output.path) else { return [] }
        do {
            return try WAVFile(path: output.path).samples
        } catch where error.reason == "has no audio data" {
            return []
        }
    }

    deinit {
        if process.isRunning { _ = try? process.interruptAndWait(timeout: 5) }
    }
}

/// ffmpeg could not be started or failed.
public struct FFmpegError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
