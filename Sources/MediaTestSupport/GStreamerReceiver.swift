import Foundation
import DaemonTestSupport
import MediaCore
import MediaEngine

/// GStreamer as the far end: `udpsrc ! srtpdec ! rtpopusdepay ! opusdec ! … ! filesink`,
/// with the SRTP key, SSRC and suite in the caps, writing what it decoded as raw 48 kHz
/// mono S16LE.
///
/// Two choices are forced by srtpdec and rtcp-mux: srtpdec hands the SRTCP packets that
/// share the port to its `rtcp_src` pad, which must be linked (else udpsrc stops with
/// "not-linked"); and it never forwards end-of-stream there, so `gst-launch-1.0 -e` would
/// wait forever. Hence a `fakesink` on `rtcp_src`, raw output that needs no header to be
/// finalised, and a plain SIGINT to stop (filesink flushes when the pipeline shuts down).
///
/// A peer this project did not write: if it decodes the tone we sent, our RTP, SRTP and
/// Opus are what the standards say, not merely what our own receiver expects.
public final class GStreamerReceiver: Sendable {
    /// The UDP port GStreamer listens on (127.0.0.1).
    public let port: UInt16
    /// Where the decoded audio goes (raw 48 kHz mono S16LE).
    public let output: URL
    private let process: ExternalProcess

    /// Starts `gst-launch-1.0` and waits until its socket is bound.
    /// - Parameters:
    ///   - port: the UDP port to listen on (see `UDPPorts.free()`); the sender is usually
    ///     built first, since its SSRC goes into GStreamer's caps.
    ///   - ssrc: the sender's SSRC (srtpdec needs it in the caps).
    ///   - key: the key GStreamer decrypts with (the sender's, or a wrong one on purpose).
    ///   - directory: where the decoded audio is written.
    /// - Throws: `ExternalToolError` when GStreamer is missing, `GStreamerError` when it does not start.
    ///   - codec: what GStreamer depacketises and decodes with its own elements (Opus, or
    ///     G.711 µ-law/A-law, or G.722 through libav's decoder).
    public init(port: UInt16, ssrc: UInt32, key: SRTPMasterKey, directory: URL, payloadType: UInt8 = 111, codec: AudioCodec = .opus) throws {
        self.port = port
        output = directory.appendingPathComponent("gstreamer-\(port).s16le")
        let caps = Self.caps(ssrc: ssrc, key: key, payloadType: payloadType, codec: codec)
        let pipeline = [
            "udpsrc", "address=127.0.0.1", "port=\(port)", "caps=\(caps)",
            "!", "srtpdec", "name=srtp",
        ] + Self.decoder(codec) + [
            "!", "audioconvert", "!", "audioresample",
            "!", "audio/x-raw,format=S16LE,rate=48000,channels=1",
            "!", "filesink", "location=\(output.path)",
            "srtp.rtcp_src", "!", "fakesink", "sync=false", "async=false",
        ]
        process = try ExternalProcess("gst-launch-1.0", ["-q"] + pipeline)
        guard UDPPorts.waitUntilBound(port, timeout: 20, process: process) else {
            let result = try? process.interruptAndWait(timeout: 5)
            throw GStreamerError("gst-launch-1.0 did not bind UDP port \(port)" + (result.map { ": \($0)" } ?? ""))
        }
    }

    /// GStreamer's depayloader and decoder for `codec`.
    static func decoder(_ codec: AudioCodec) -> [String] {
        switch codec {
        case .opus: ["!", "rtpopusdepay", "!", "opusdec"]
        case .pcmu: ["!", "rtppcmudepay", "!", "mulawdec"]
        case .pcma: ["!", "rtppcmadepay", "!", "alawdec"]
        case .g722: ["!", "rtpg722depay", "!", "avdec_g722"]
        }
    }

    /// The `application/x-srtp` caps srtpdec reads its key and suite from.
    public static func caps(ssrc: UInt32, key: SRTPMasterKey, payloadType: UInt8 = 111, codec: AudioCodec = .opus) -> String {
        let (rtpCipher, rtpAuth, rtcpCipher, rtcpAuth): (String, String, String, String)
        switch key.suite {
        case .aesCM128HMACSHA1_80: (rtpCipher, rtpAuth, rtcpCipher, rtcpAuth) = ("aes-128-icm", "hmac-sha1-80", "aes-128-icm", "hmac-sha1-80")
        // RFC 4568 §6.2.2: the short tag is for SRTP only; SRTCP keeps 80 bits.
        case .aesCM128HMACSHA1_32: (rtpCipher, rtpAuth, rtcpCipher, rtcpAuth) = ("aes-128-icm", "hmac-sha1-32", "aes-128-icm", "hmac-sha1-80")
        case .aeadAES128GCM: (rtpCipher, rtpAuth, rtcpCipher, rtcpAuth) = ("aes-128-gcm", "null", "aes-128-gcm", "null")
        case .aeadAES256GCM: (rtpCipher, rtpAuth, rtcpCipher, rtcpAuth) = ("aes-256-gcm", "null", "aes-256-gcm", "null")
        }
        return "application/x-srtp,media=(string)audio,clock-rate=(int)\(codec.rtpClockRate),encoding-name=(string)\(codec.encodingName.uppercased()),"
            + "payload=(int)\(payloadType),ssrc=(uint)\(ssrc),srtp-key=(buffer)\(key.hex),"
            + "srtp-cipher=(string)\(rtpCipher),srtp-auth=(string)\(rtpAuth),"
            + "srtcp-cipher=(string)\(rtcpCipher),srtcp-auth=(string)\(rtcpAuth),roc=(uint)0"
    }

    /// Stops the pipeline with SIGINT and returns how it exited.
    @discardableResult
    public func finish(timeout: Double = 20) throws -> ExternalProcess.Result {
        try process.interruptAndWait(timeout: timeout)
    }

    /// The decoded audio; empty when GStreamer decoded nothing (or wrote no file).
    public func decodedSamples() -> [Int16] {
        RawPCM.samples(atPath: output.path)
    }

    deinit {
        if process.isRunning { _ = try? process.interruptAndWait(timeout: 5) }
    }
}

/// GStreamer could not be started or failed.
public struct GStreamerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
