import DaemonTestSupport
import Foundation
import MediaTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `softphoned --demo` serves a page on 127.0.0.1 where a browser joins the call as the far end.
@Suite("Demo browser page", .serialized)
struct DemoBrowserTests {
    @Test("headless Chromium joins the demo call over WebRTC, hears the agent's 440 Hz, shows mute and unmute live; when it leaves the in-process far end is called again")
    func browserJoinsTheCall() async throws {
        try ExternalTool.require("chromedriver")
        // Without the script: its mutes at 4 and 12 s would race this test's own, and a
        // mute before the browser joined would come back from the platform (see README).
        let demo = try DemoProcess(seconds: 16, scripted: false)
        let url = try demo.pageURL()
        let reportURL = demo.directory.appendingPathComponent("page.json")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/demo_browser.py")
        let (status, _, errors) = try await runCommand(URL(fileURLWithPath: "/usr/bin/python3"), [
            script.path, "--url", url, "--softphonectl", DaemonProcess.product("softphonectl").path,
            "--socket", try demo.controlSocket(), "--report", reportURL.path,
        ], timeout: 40)
        let text = (try? String(contentsOf: reportURL, encoding: .utf8)) ?? "{}"
        let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        let phases = report["phases"] as? [String: [String: Any]] ?? [:]
        #expect(status == 0, "the page did not go through every phase: \(errors)\n\(text.prefix(6000))")

        // Connected over WebRTC and hearing the agent's tone: Chromium's own decoder, a
        // 8192-point FFT at 48 kHz (5.9 Hz bins, interpolated), so ±6 Hz is a bin either side.
        let connected = try #require(phases["connected"], "\(text.prefix(6000))")
        let heard = try #require(connected["heard_hz"] as? Double)
        #expect(abs(heard - 440) <= 6, "the page hears \(heard) Hz")
        #expect((connected["level_dbfs"] as? Double ?? -120) > -40, "\(connected)")

        // The mute and the unmute from softphonectl reach the page as events, and the page shows the state.
        let muted = try #require(phases["muted"], "\(text.prefix(6000))")
        let muteEvent = muted["event"] as? [String: Any] ?? [:]
        #expect(muteEvent["muted"] as? Bool == true && muteEvent["mode"] as? String == "disable" && muteEvent["source"] as? String == "local",
                "\(muteEvent)")
        #expect((muted["shown"] as? [String: Any])?["muted"] as? Bool == true)
        #expect(muted["fell_silent"] as? Bool == true, "disable mode sends no RTP, yet the page kept hearing the tone: \(muted)")
        let unmuted = try #require(phases["unmuted"], "\(text.prefix(6000))")
        #expect((unmuted["event"] as? [String: Any])?["muted"] as? Bool == false)
        #expect((unmuted["shown"] as? [String: Any])?["muted"] as? Bool == false)
        #expect(abs((unmuted["hears_again_hz"] as? Double ?? 0) - 440) <= 6, "after the unmute: \(unmuted)")

        let (exit, output) = demo.finish(timeout: 30)
        #expect(exit == 0, "\(output)")
        #expect(output.contains("browser page     : http://127.0.0.1:"))
        #expect(output.contains("a browser joined the call as the far end (WebRTC)"), "\(output)")
        let back = try #require(output.range(of: "the browser's call ended; calling the in-process far end again"), "\(output)")
        // After the browser left, the in-process far end hears the agent again.
        let after = output[back.upperBound...]
        #expect(after.range(of: #"far end hears -?\d+\.\d dBFS, +[1-9]\d pkt/s"#, options: .regularExpression) != nil,
                "the in-process far end did not receive the agent after the browser left: \(after)")
    }

    @Test("the page server answers GET /, /status and /events, 404 for unknown paths, 405 for wrong methods, 413 over 64 KiB, 400 for an offer that is not WebRTC — and the demo call stays up")
    func pageServerRoutes() throws {
        let demo = try DemoProcess(seconds: 8)
        let port = try #require(URL(string: try demo.pageURL())?.port)

        let page = try HTTPExchange(port: port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(page.status == 200 && page.headers.contains("content-type: text/html"), "\(page.raw.prefix(300))")
        #expect(page.body.contains("new RTCPeerConnection") && page.body.contains("/offer") && page.body.contains("new EventSource(\"/events\")"))

        let status = try HTTPExchange(port: port, "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let json = try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any]
        #expect(status.status == 200 && json?["muted"] is Bool && (json?["call"] as? [String: Any])?["transport"] as? String == "sdes",
                "\(status.raw)")

        // The stream starts with the status; the connection stays open (read until our timeout).
        let events = try HTTPExchange(port: port, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n", readFor: 0.5)
        #expect(events.status == 200 && events.headers.contains("content-type: text/event-stream"), "\(events.raw.prefix(300))")
        #expect(events.body.contains("event: status\ndata: {"), "\(events.raw.prefix(500))")

        #expect(try HTTPExchange(port: port, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status == 404)
        let wrong = try HTTPExchange(port: port, "GET /offer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(wrong.status == 405 && wrong.headers.contains("allow: post"), "\(wrong.raw)")
        #expect(try HTTPExchange(port: port, "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").status == 405)

        // Refused from the header, before any of the body is read; and a chunked body that grows past the limit.
        let declared = try HTTPExchange(port: port, "POST /offer HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n")
        #expect(declared.status == 413, "\(declared.raw)")
        let chunk = String(repeating: "a", count: 40_000)
        let hex = String(chunk.utf8.count, radix: 16)
        let chunked = try HTTPExchange(port: port, "POST /offer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n0\r\n\r\n")
        #expect(chunked.status == 413, "\(chunked.raw.prefix(300))")

        let sdes = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
        let refused = try HTTPExchange(port: port, "POST /offer HTTP/1.1\r\nHost: x\r\nContent-Length: \(sdes.utf8.count)\r\nConnection: close\r\n\r\n\(sdes)")
        #expect(refused.status == 400 && refused.body.contains("WebRTC"), "\(refused.raw)")
        // A WebRTC offer without ice-pwd: the demo hangs up, the daemon refuses it, the demo calls its far end again.
        let garbage = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
            + "a=rtpmap:111 opus/48000/2\r\na=ice-ufrag:abcd\r\na=fingerprint:sha-256 00:11\r\na=setup:actpass\r\na=mid:0\r\n"
        let bad = try HTTPExchange(port: port, "POST /offer HTTP/1.1\r\nHost: x\r\nContent-Length: \(garbage.utf8.count)\r\nConnection: close\r\n\r\n\(garbage)")
        #expect(bad.status == 400, "\(bad.raw)")
        #expect(!bad.body.contains("must be a WebRTC SDP offer"), "the offer should have reached calls.accept: \(bad.raw)")

        // Nothing of that ended the demo's call for good: the in-process far end is in it.
        let after = try HTTPExchange(port: port, "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let call = (try JSONSerialization.jsonObject(with: Data(after.body.utf8)) as? [String: Any])?["call"] as? [String: Any]
        #expect(call?["transport"] as? String == "sdes", "\(after.raw)")

        let (exit, output) = demo.finish(timeout: 20)
        #expect(exit == 0, "\(output)")
        #expect(output.contains("demo finished"), "\(output)")
        #expect(output.contains("the browser's offer was refused"), "\(output)")
    }

    @Test("a port out of range is a usage error")
    func badPort() async throws {
        let (status, _, errors) = try await runCommand(DaemonProcess.product("softphoned"), ["--demo", "--demo-http-port", "70000"], timeout: 10)
        #expect(status == 2)
        #expect(errors.contains("--demo-http-port must be 0…65535"))
    }
}

/// `softphoned --demo --demo-http-port 0` running, its output going to a file we read as it grows.
final class DemoProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL
    private let outputURL: URL

    init(seconds: Int, scripted: Bool = true) throws {
        directory = try DaemonProcess.makeDirectory()
        outputURL = directory.appendingPathComponent("demo.out")
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        process.executableURL = DaemonProcess.product("softphoned")
        process.arguments = ["--demo", "--duration", String(seconds), "--demo-http-port", "0"] + (scripted ? [] : ["--no-demo-script"])
        let handle = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    /// Waits for the banner line `pattern` and returns its first capture.
    private func banner(_ pattern: String, timeout: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        let expression = try NSRegularExpression(pattern: pattern)
        while Date() < deadline {
            let text = output
            if let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let range = Range(match.range(at: 1), in: text) {
                return String(text[range])
            }
            guard process.isRunning else { throw DaemonProcessError("the demo exited with \(process.terminationStatus): \(text)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonProcessError("the demo's banner has no \(pattern) within \(timeout) s: \(output)")
    }

    func pageURL() throws -> String { try banner(#"browser page +: (http://127\.0\.0\.1:\d+/)"#) }
    func controlSocket() throws -> String { try banner(#"control socket +: (\S+)"#) }

    /// Waits for the demo to end by itself. - Returns: the exit status and everything it printed.
    func finish(timeout: Double) -> (Int32, String) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.interrupt()
            Thread.sleep(forTimeInterval: 1)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// One request written as raw bytes on a TCP connection to 127.0.0.1, and what came back:
/// exact control over headers and bodies that an HTTP client library would not send.
struct HTTPExchange {
    let raw: String
    var status: Int { Int(raw.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0 }
    /// The header block, lowercased.
    var headers: String { String(raw.components(separatedBy: "\r\n\r\n").first ?? "").lowercased() }
    var body: String { raw.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n") }

    /// - Parameter readFor: stop reading after this many seconds (a stream that stays open);
    ///   otherwise read until the server closes (10 s at most).
    init(port: Int, _ request: String, readFor: Double? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DaemonProcessError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw DaemonProcessError("connect to 127.0.0.1:\(port): \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // The server may refuse (and close) before the whole request is written: that is the point of 413.
        _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(readFor ?? 10)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received += buffer[0..<n] } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { break }
        }
        raw = String(decoding: received, as: UTF8.self)
    }
}
