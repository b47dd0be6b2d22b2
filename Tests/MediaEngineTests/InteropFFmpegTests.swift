import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Synchronization
import Testing

/// ffmpeg, given an SDP with `a=crypto`, decrypts and decodes what softphoned sends.
@Suite("Interop: ffmpeg receives softphoned's SRTP", .timeLimit(.minutes(1)))
struct InteropFFmpegTests {
    @Test("ffmpeg decodes the 1000 Hz tone", arguments: FFmpegReceiver.supportedSuites)
    func decodesTone(suite: SRTPSuite) throws {
        try ExternalTool.require("ffmpeg")
        let directory = try TemporaryDirectory.make(prefix: "ffmpeg")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = SRTPMasterKey.random(suite: suite)
        let port = try UDPPorts.freePair()
        let receiver = try FFmpegReceiver(port: port, key: key, directory: directory, seconds: 2)
        let media = try CallMedia(
            configuration: CallMediaConfiguration(
                remote: try SocketAddress(host: "127.0.0.1", port: port), bindLoopbackOnly: true,
                sendKey: key, source: .tone(hertz: 1000), playback: .none, mediaTimeoutSeconds: 0))
        media.start()
        // ffmpeg exits once it has written 2 s; the sender runs until then (bounded).
        let deadline = Date().addingTimeInterval(20)
        while receiver.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        media.stop()
        let result = try receiver.wait(timeout: 10)
        #expect(result.succeeded, "\(result)")
        let report = ToneReport(samples: try receiver.decodedSamples())
        #expect(report.activeSeconds() >= 1.5, "ffmpeg decoded too little: \(report); \(result)")
        #expect(report.isTone(1000, tolerance: 5), "\(report)")
        #expect(media.statistics.packetsSent.load(ordering: .relaxed) >= 100)
    }
}
