import ControlProtocol
import Foundation

/// Human-readable and JSON rendering of results and events.
enum Output {
    /// Prints `value` as pretty, key-sorted JSON.
    static func json(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) {
            print(text)
        }
    }

    /// A status result: the mute line, and with `brief == false` call, signaling and media lines.
    static func status(_ value: JSONValue, json: Bool, brief: Bool) {
        guard !json, let status = try? value.decode(as: StatusResult.self) else {
            return Output.json(value)
        }
        print(muteLine(status))
        guard !brief else { return }
        print("call: \(status.call.map(callLine) ?? "none")")
        print("signaling: \(signalingLine(status.signaling))")
        if let sip = status.sip { print("sip: \(sipLine(sip))") }
        if let device = status.device { print("device: \(deviceLine(device))") }
        print("media: \(statsLine(status.stats))")
    }

    /// `pulse Capture switch off, in step` or `hw:1 has no capture switch (used as is)`.
    static func deviceLine(_ device: DeviceInfo) -> String {
        let mixer = device.mixer ?? "no mixer"
        switch device.sync {
        case .active:
            let state = device.switch.map { $0 ? "on" : "off (muted)" } ?? "unknown"
            return "\(mixer) \(device.element ?? "capture") switch \(state), in step"
        case .noSwitch: return "\(mixer) has no capture switch (used as is)"
        case .unavailable: return "\(mixer) unavailable\(device.error.map { ": \($0)" } ?? ""), retrying"
        case .disabled: return "not kept in step (mute.sync-device: false)"
        case .none: return "no mixer (the microphone is not an ALSA device; audio.mixer names one)"
        }
    }

    /// `MUTED (silence, local)` or `live (silence mode, last change: remote)`.
    static func muteLine(_ status: StatusResult) -> String {
        status.muted
            ? "MUTED (\(status.mode.rawValue), \(status.source.rawValue))"
            : "live (\(status.mode.rawValue) mode, last change: \(status.source.rawValue))"
    }

    /// `registered as sip:1001@pbx (expires in 287 s), listening on udp, tcp, tls`.
    static func sipLine(_ sip: SIPInfo) -> String {
        var parts: [String] = []
        switch sip.registration {
        case "off": parts.append("not registering (no sip.aor): direct calls only")
        default:
            var line = "\(sip.registration) as \(sip.aor ?? "?") at \(sip.registrar ?? "?")"
            if let expires = sip.expiresIn { line += " (expires in \(expires) s)" }
            parts.append(line)
        }
        if let reason = sip.reason { parts.append(reason) }
        parts.append("listening on \(sip.listen.joined(separator: ", "))")
        return parts.joined(separator: ", ")
    }

    static func callLine(_ call: CallInfo) -> String {
        if let sip = call.sip {
            var head = "\(call.state ?? "?") \(sip.direction) SIP call \(sip.direction == "incoming" ? "from" : "to") "
            head += "\(sip.display.map { "\"\($0)\" " } ?? "")\(sip.direction == "incoming" ? sip.from : sip.to)"
            guard call.localPort != 0 else { return head + ", Call-ID \(sip.callId)" }
            return head + "; " + mediaLine(call)
        }
        return mediaLine(call)
    }

    static func mediaLine(_ call: CallInfo) -> String {
        var parts = [
            "\(call.remote) from local port \(call.localPort)", call.codec ?? "opus", call.suite, call.direction.rawValue,
            "since \(call.startedAt)",
        ]
        if let session = call.sessionId { parts.append("session \(session)") }
        if let webrtc = call.webrtc {
            parts.append("WebRTC: ICE \(webrtc.iceState) (\(webrtc.iceRole))")
            if let local = webrtc.localCandidate, let remote = webrtc.remoteCandidate { parts.append("pair \(local) ↔ \(remote)") }
            parts.append("DTLS \(webrtc.dtlsRole) \(webrtc.dtlsState)")
            if let profile = webrtc.srtpProfile { parts.append(profile) }
            var consent = "consent \(webrtc.consent)"
            if let ago = webrtc.lastReceivedMsAgo { consent += String(format: ", last packet %.0f ms ago", ago) }
            parts.append(consent)
            if let failure = webrtc.failure { parts.append("failure: \(failure)") }
        }
        return parts.joined(separator: ", ")
    }

    static func signalingLine(_ signaling: SignalingInfo) -> String {
        var parts = ["\(signaling.profile.rawValue) \(signaling.state.rawValue)"]
        if let session = signaling.sessionId { parts.append("session \(session)") }
        if let conversation = signaling.conversationId { parts.append("conversation \(conversation)") }
        if let participant = signaling.participantId { parts.append("participant \(participant)") }
        if let channel = signaling.channel { parts.append("websocket \(channel.state) since \(channel.since)") }
        if let muted = signaling.platformMuted { parts.append("platform says \(muted ? "muted" : "live")") }
        if let sync = signaling.lastSyncAt { parts.append("last sync \(sync)") }
        if let error = signaling.lastError { parts.append("error: \(error)") }
        return parts.joined(separator: ", ")
    }

    static func statsLine(_ stats: StatsInfo) -> String {
        var sent = "sent \(stats.packetsSent) packets (\(stats.bytesSent) B), \(stats.mutedFrames) muted frames"
        if stats.sendErrors > 0 { sent += ", \(stats.sendErrors) send errors" }
        if stats.deviceErrors > 0 || stats.overruns > 0 {
            sent += ", \(stats.deviceErrors) device errors, \(stats.overruns) overruns"
        }
        var received = "received \(stats.packetsReceived) packets, \(stats.packetsLost) lost"
        if let jitter = stats.jitterMs { received += ", jitter \(decimal(jitter)) ms" }
        if let rtt = stats.rttMs { received += ", rtt \(decimal(rtt)) ms" }
        if stats.authFailures > 0 { received += ", \(stats.authFailures) auth failures" }
        var levels: [String] = []
        if let input = stats.inputLevelDBFS { levels.append("mic \(decimal(input)) dBFS") }
        if let output = stats.outputLevelDBFS { levels.append("speaker \(decimal(output)) dBFS") }
        var threads: [String] = []
        if let scheduling = stats.mediaThreads { threads.append("media threads \(scheduling)") }
        if let latency = stats.captureLatencyMs { threads.append("capture latency \(decimal(latency)) ms") }
        return ([sent, received] + (levels.isEmpty ? [] : [levels.joined(separator: ", ")])
            + (threads.isEmpty ? [] : [threads.joined(separator: ", ")])).joined(separator: "; ")
    }

    /// A call object (result of `call.start`, `call.answer`, `dial`, `answer`, `hold`, `resume`).
    static func call(_ value: JSONValue, json: Bool) {
        guard !json, let call = try? value.decode(as: CallInfo.self) else {
            return Output.json(value)
        }
        print("call: \(callLine(call))")
    }

    /// An SDP result: the SDP text as is.
    static func sdp(_ value: JSONValue, json: Bool) {
        guard !json, let sdp = value["sdp"]?.stringValue else {
            return Output.json(value)
        }
        print(sdp, terminator: sdp.hasSuffix("\n") ? "" : "\n")
    }

    /// One event: `#17 2026-11-21T10:00:00.020Z remoteMute muted=true source=remote`, or its JSON line.
    static func event(_ event: ControlEvent, json: Bool) {
        if json {
            if let data = try? event.params.jsonData(), let text = String(data: data, encoding: .utf8) {
                print(text)
            }
            return
        }
        let fields = event.fields.keys.sorted().map { key in "\(key)=\(scalar(event.fields[key]!))" }
        print((["#\(event.seq)", event.at, event.type.rawValue] + fields).joined(separator: " "))
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text.contains(" ") ? "\"\(text)\"" : text
        case .bool(let flag): String(flag)
        case .number(let number): decimal(number)
        case .null: "null"
        default: (try? value.jsonData()).flatMap { String(data: $0, encoding: .utf8) } ?? "?"
        }
    }

    private static func decimal(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.1f", value)
    }
}
