import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine

/// One softphoned instance that takes part in a call, with a control connection and an
/// event subscriber.
final class CallPeer: Sendable {
    let daemon: DaemonProcess
    let control: ControlClient
    let events: EventWatcher

    /// Starts softphoned with a tone as the microphone, no playback, and its SDP naming 127.0.0.1.
    /// - Parameter yaml: more configuration, appended.
    init(tone: Int, yaml: String = "", environment: [String: String] = [:], namespace: String? = nil) async throws {
        daemon = try await DaemonProcess.start(yaml: """
            audio: { source: "tone:\(tone)", playback: none }
            log: { level: warning }
            \(yaml)
            """, environment: ["SOFTPHONED_SDP_ADDRESS": "127.0.0.1"].merging(environment) { _, new in new }, namespace: namespace)
        control = try await daemon.client()
        events = try await EventWatcher(path: daemon.socketPath)
    }

    func status() async throws -> [String: Any] { try await control.result("status") }

    func stats() async throws -> [String: Any] { CallJSON.object(try await status(), "stats") ?? [:] }

    /// Polls `status.stats` until `condition` holds or the timeout passes.
    /// - Returns: the last stats read.
    @discardableResult
    func waitForStats(timeout: Double = 8, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        _ = try await eventually(timeout: .seconds(timeout), poll: .milliseconds(50)) {
            last = try await stats()
            return condition(last)
        }
        return last
    }

    /// The error object of a request that must fail.
    func error(_ method: String, _ params: [String: Any]? = nil) async throws -> (code: Int, message: String) {
        let reply = try await control.call(method, params)
        guard let error = reply["error"] as? [String: Any] else { throw DaemonProcessError("\(method) did not fail: \(reply)") }
        return ((error["code"] as? Int) ?? 0, (error["message"] as? String) ?? "")
    }

    func stop() {
        events.stop()
        daemon.stop()
    }

    /// Accepts a PBX-style SDES offer (Opus on 111, rtcp-mux, `key` as the far end's) from a
    /// far end on 127.0.0.1:`farPort`.
    /// - Returns: where softphoned's answer says the media goes.
    func acceptSDESOffer(farPort: UInt16, key: SRTPMasterKey, session: Int) async throws -> SocketAddress {
        let offer = [
            "v=0", "o=- \(session) 1 IN IP4 127.0.0.1", "s=pbx", "c=IN IP4 127.0.0.1", "t=0 0",
            "m=audio \(farPort) RTP/SAVP 111", "a=rtpmap:111 opus/48000/2", "a=rtcp-mux",
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.inlineKey)", "a=sendrecv", "",
        ].joined(separator: "\r\n")
        let answer = try await control.result("call.accept", ["sdp": offer])["sdp"] as? String ?? ""
        guard let port = SDPText.audioPort(answer) else { throw DaemonProcessError("no audio port in the answer: \(answer)") }
        return try SocketAddress(host: "127.0.0.1", port: port)
    }

    /// Packets per second each peer received over `seconds`, with its stats at the end.
    static func receiveRates(_ peers: [CallPeer], over seconds: Double) async throws -> [(rate: Double, stats: [String: Any])] {
        var before: [[String: Any]] = []
        for peer in peers { before.append(try await peer.stats()) }
        let start = Date()
        try await Task.sleep(for: .seconds(seconds))
        var after: [[String: Any]] = []
        for peer in peers { after.append(try await peer.stats()) }
        let elapsed = Date().timeIntervalSince(start)
        return zip(before, after).map { first, last in
            (((CallJSON.number(last, "packetsReceived") ?? 0) - (CallJSON.number(first, "packetsReceived") ?? 0)) / elapsed, last)
        }
    }

    /// A calls B with SDP offer/answer through their control sockets.
    /// - Parameters:
    ///   - offerToB: rewrites A's offer before B sees it (to point B at a relay).
    ///   - answerToA: rewrites B's answer before A sees it.
    /// - Returns: A's offer, B's answer (as each peer produced them) and A's call object.
    @discardableResult
    static func connect(_ a: CallPeer, _ b: CallPeer, offerToB: (String) -> String = { $0 },
                        answerToA: (String) -> String = { $0 }) async throws -> (offer: String, answer: String, call: [String: Any]) {
        let offer = try await a.control.result("call.offer")["sdp"] as? String ?? ""
        let answer = try await b.control.result("call.accept", ["sdp": offerToB(offer)])["sdp"] as? String ?? ""
        let call = try await a.control.result("call.answer", ["sdp": answerToA(answer)])
        return (offer, answer, call)
    }
}

/// Edits SDP text the way a middlebox would.
enum SDPText {
    /// The port of the first audio m-line.
    static func audioPort(_ sdp: String) -> UInt16? {
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("m=audio ") {
            return UInt16(line.split(separator: " ")[1])
        }
        return nil
    }

    /// The same SDP with the audio m-line and its `a=rtcp` pointing at `port`.
    static func pointing(_ sdp: String, toPort port: UInt16) -> String {
        guard let old = audioPort(sdp) else { return sdp }
        return sdp.replacingOccurrences(of: "m=audio \(old) ", with: "m=audio \(port) ")
            .replacingOccurrences(of: "a=rtcp:\(old)\r\n", with: "a=rtcp:\(port)\r\n")
    }

    /// The same SDP with its audio direction attribute replaced.
    static func direction(_ sdp: String, _ direction: String) -> String {
        var text = sdp
        for old in ["sendrecv", "sendonly", "recvonly", "inactive"] {
            text = text.replacingOccurrences(of: "a=\(old)\r\n", with: "a=\(direction)\r\n")
        }
        return text
    }

    /// The same SDP with the origin's session version set to `version` (a re-offer).
    static func version(_ sdp: String, _ version: Int) -> String {
        sdp.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
            guard line.hasPrefix("o=") else { return String(line) }
            var fields = line.split(separator: " ").map(String.init)
            if fields.count == 6 { fields[2] = String(version) }
            return fields.joined(separator: " ")
        }.joined(separator: "\r\n")
    }
}
