import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Synchronization
import Testing

/// GStreamer (srtpdec, rtpopusdepay, opusdec) decodes what softphoned sends.
@Suite("Interop: GStreamer receives softphoned's SRTP", .timeLimit(.minutes(1)))
struct InteropGStreamerTests {
    @Test("GStreamer decodes the 1000 Hz tone", arguments: SRTPSuite.allCases)
    func decodesTone(suite: SRTPSuite) throws {
        try ExternalTool.require("gst-launch-1.0")
        let directory = try TemporaryDirectory.make(prefix: "gst")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = SRTPMasterKey.random(suite: suite)

        let (receiver, media) = try Self.sendTone(key: key, gstreamerKey: key, directory: directory)
        let result = try receiver.finish()
        #expect(result.succeeded, "\(result)")
        let report = ToneReport(samples: receiver.decodedSamples())
        #expect(report.activeSeconds() >= 1.5, "GStreamer decoded too little audio: \(report); \(result)")
        #expect(report.isTone(1000, tolerance: 5), "\(report)")
        #expect(media.statistics.packetsSent.load(ordering: .relaxed) >= 100)
    }

    @Test("GStreamer with a wrong key decodes nothing")
    func wrongKeyYieldsNoAudio() throws {
        try ExternalTool.require("gst-launch-1.0")
        let directory = try TemporaryDirectory.make(prefix: "gst")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let wrong = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)

        let (receiver, media) = try Self.sendTone(key: key, gstreamerKey: wrong, directory: directory)
        let result = try receiver.finish()
        // GStreamer ran the whole time (a pipeline that failed would decode nothing too).
        #expect(result.succeeded, "\(result)")
        let report = ToneReport(samples: receiver.decodedSamples())
        #expect(media.statistics.packetsSent.load(ordering: .relaxed) >= 100, "the sender did send")
        #expect(report.activeSampleCount == 0, "a wrong key must not decode: \(report)")
    }

    /// Starts GStreamer, then a call sending a 1000 Hz tone to it for `seconds`; returns
    /// once the call has stopped.
    static func sendTone(key: SRTPMasterKey, gstreamerKey: SRTPMasterKey, directory: URL,
                         seconds: Double = 3) throws -> (GStreamerReceiver, CallMedia) {
        // GStreamer needs the SSRC in its caps and CallMedia picks it, so the call is built
        // first (towards a port chosen now) and started once GStreamer listens there.
        let port = try UDPPorts.free()
        let media = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: try SocketAddress(host: "127.0.0.1", port: port), bindLoopbackOnly: true,
                sendKey: key, source: .tone(hertz: 1000), playback: .none, mediaTimeoutSeconds: 0))
        let receiver = try GStreamerReceiver(port: port, ssrc: media.ssrc, key: gstreamerKey, directory: directory)
        media.start()
        Thread.sleep(forTimeInterval: seconds)
        media.stop()
        return (receiver, media)
    }
}
