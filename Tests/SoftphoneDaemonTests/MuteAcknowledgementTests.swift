import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

/// The `mute` reply waits for the media thread: with the thread stuck in the audio device
/// (an ALSA `file` PCM fed from a FIFO the test stops writing), softphoned does not claim a
/// mute it has not applied, and the first frame the thread sends when the device returns
/// is already muted.
@Suite("Mute acknowledgement by the media thread", .serialized)
struct MuteAcknowledgementTests {
    @Test("a mute while the media thread is stuck is answered 1005, not 'muted'; it is applied before the next frame leaves")
    func muteWhileTheMediaThreadIsStuck() async throws {
        let (directory, microphone) = try FIFOMicrophone.asALSADevice()
        defer { microphone.finish() }
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { receiver.stop() }
        let yaml = ServiceTests.callYAML(to: receiver, level: "warning").replacingOccurrences(of: "tone:1000", with: "alsa:stallmic")
        let daemon = try await DaemonProcess.start(yaml: yaml, environment: ["HOME": directory.path, "XDG_CONFIG_HOME": directory.path],
                                       directory: directory)
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        #expect(try await receiver.wait(forPackets: 10), "no media from the FIFO microphone: \(daemon.log)")
        #expect(receiver.received.suffix(3).allSatisfy { $0.peak > 5_000 }, "the tone is on the wire before the mute")

        microphone.pause()
        try await Task.sleep(for: .seconds(0.2))
        let sentBefore = receiver.received.count
        let askedAt = Date()
        let reply = try await client.call("mute")
        let waited = Date().timeIntervalSince(askedAt)
        let error = reply["error"] as? [String: Any]
        #expect(error?["code"] as? Int == 1005, "a mute the media has not applied was answered: \(reply)")
        #expect((error?["message"] as? String)?.contains("not applied") == true || (error?["message"] as? String)?.contains("has not applied") == true)
        #expect(waited >= 0.2 && waited < 1, "waited \(waited) s for the media thread")
        #expect(try await client.result("status")["muted"] as? Bool == true, "the request is kept")

        // The device returns: every frame from now on was captured after the request.
        microphone.resume()
        #expect(try await receiver.wait(forPackets: sentBefore + 25), "media did not resume")
        // The first packet after the stall is encoded from a muted frame, but Opus' own delay
        // carries the end of the last frame before the stall into it and the next.
        let after = receiver.received[(sentBefore + 2)...]
        let loud = after.filter { $0.peak != 0 }
        #expect(loud.isEmpty, "\(loud.count) packets after the stall carried audio (peaks \(loud.map(\.peak).prefix(5)))")

        // Running again, a mute is acknowledged within a frame.
        _ = try await client.result("unmute")
        let start = Date()
        _ = try await client.result("mute")
        #expect(Date().timeIntervalSince(start) < 0.1)
    }
}
