import Foundation
import MediaCore

/// What softphoned interprets in SIP header values and bodies: the four auto-answer forms,
/// digest challenges' realm, SIP INFO DTMF. Pure Swift on strings sofia has already parsed
/// into headers; fuzzed (`fuzz-sip`) because every byte comes from the far end.
public enum SIPHeaders {
    /// The auto-answer the INVITE asks for, in seconds of delay, or nil when it asks none:
    /// `Call-Info: <uri>;answer-after=N`, `Alert-Info: <uri>;info=alert-autoanswer[;delay=N]`,
    /// `Alert-Info: Auto Answer` / `Ring Answer`, `Answer-Mode: Auto` (RFC 5373).
    public static func autoAnswerDelay(callInfo: [String], alertInfo: [String], answerMode: [String]) -> Int? {
        for value in callInfo {
            for entry in entries(value) {
                if let after = parameter("answer-after", in: entry) { return seconds(after) }
            }
        }
        for value in alertInfo {
            for entry in entries(value) {
                let bare = entry.trimmingCharacters(in: " \t").lowercased()
                if bare == "auto answer" || bare == "ring answer" { return 0 }
                if parameter("info", in: entry)?.lowercased() == "alert-autoanswer" {
                    return parameter("delay", in: entry).map(seconds) ?? 0
                }
            }
        }
        for value in answerMode {
            let mode = value.split(separator: ";").first.map { String($0).trimmingCharacters(in: " \t").lowercased() }
            if mode == "auto" { return 0 }
        }
        return nil
    }

    /// The realm of a digest challenge (`Digest realm="x", nonce=…`), quoted as received.
    public static func digestRealm(_ challenge: String) -> String? {
        guard let range = challenge.range(of: "realm=", options: .caseInsensitive) else { return nil }
        let rest = challenge[range.upperBound...]
        if rest.first == "\"" {
            let body = rest.dropFirst()
            guard let end = body.firstIndex(of: "\"") else { return nil }
            return "\"\(body[..<end])\""
        }
        let value = rest.prefix { $0 != "," && $0 != " " }
        return value.isEmpty ? nil : "\"\(value)\""
    }

    /// A SIP INFO `application/dtmf-relay` body (`Signal=5`, `Duration=160`): the digit and its
    /// duration in milliseconds (default 100); nil when it names no digit.
    public static func dtmfRelay(_ body: String) -> (digit: Character, durationMilliseconds: Int)? {
        var digit: Character?
        var duration = 100
        for line in body.split(whereSeparator: \.isNewline) {
            let pair = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t") }
            guard pair.count == 2 else { continue }
            switch pair[0].lowercased() {
            case "signal":
                let value = pair[1].uppercased()
                if value == "10" { digit = "*" } else if value == "11" { digit = "#" } else if value.count == 1, let c = value.first,
                                                                                             "0123456789*#ABCD".contains(c) { digit = c }
            case "duration":
                if let ms = Int(pair[1].prefix(6)), ms > 0 { duration = min(ms, 10_000) }
            default: continue
            }
        }
        return digit.map { ($0, duration) }
    }

    /// A dtmf-relay body for one digit.
    public static func dtmfRelayBody(digit: Character, durationMilliseconds: Int) -> String {
        "Signal=\(digit)\r\nDuration=\(durationMilliseconds)\r\n"
    }

    /// A `Warning` header value (RFC 3261 §20.43): code 399, our agent name, the text quoted.
    public static func warning(_ text: String) -> String {
        let cleaned = text.unicodeScalars.map { $0 == "\"" || $0 == "\\" ? "'" : ($0.value < 0x20 ? " " : String($0)) }.joined()
        return "399 softphoned \"\(cleaned.prefix(200))\""
    }

    /// A session timer (RFC 4028) as one offer/answer exchange left it: its interval, and
    /// whether softphoned is the refresher.
    public struct SessionTimer: Sendable, Equatable {
        public var seconds: Int
        public var weRefresh: Bool

        public init(seconds: Int, weRefresh: Bool) {
            self.seconds = seconds
            self.weRefresh = weRefresh
        }

        /// When softphoned sends its refresh: half the interval, as RFC 4028 §10 recommends,
        /// less 15 s (a third of it at the 90 s minimum), so it comes at least 10 s before the
        /// stack's own refresh (half the interval less 5 s at the earliest), which could only
        /// repeat an old request.
        public var refreshAfter: Duration { .seconds(max(seconds / 3, seconds / 2 - 15)) }

        /// When the stack sends BYE if the far end has not refreshed (RFC 4028 §10: before
        /// the interval runs out).
        public var expiresAfter: Duration { .seconds(seconds - min(32, seconds / 10)) }
    }

    /// The smallest session interval softphoned accepts (`Min-SE`, RFC 4028's floor).
    public static let minimumSessionInterval = 90

    /// The session timer set by a 2xx exchange, negotiated as the stack negotiates it
    /// (RFC 4028 §8–9, sofia's `session_timer_negotiate`): `sessionExpires`, `supported` and
    /// `require` are the values of the request softphoned answered (`weAnswered`) or of the
    /// 2xx it received; `peerSupports`: the far end's `Supported` has said `timer` earlier in
    /// the dialog. nil when no timer runs. Unlike the stack, the interval is capped at a day.
    public static func sessionTimer(sessionExpires: [String], supported: [String], require: [String], minSE: [String],
                                    weAnswered: Bool, peerSupports: Bool = false) -> SessionTimer? {
        guard let value = sessionExpires.first else { return nil }
        let delta = value.prefix { $0 != ";" }.trimmingCharacters(in: " \t")
        guard !delta.isEmpty, delta.count <= 10, delta.allSatisfy(\.isASCII), let asked = Int(delta), asked > 0 else { return nil }
        let theirMinimum = minSE.first.flatMap { Int($0.prefix { $0 != ";" }.trimmingCharacters(in: " \t").prefix(10)) } ?? 0
        let seconds = min(max(asked, minimumSessionInterval, theirMinimum), 86_400)
        let requires = hasFeature("timer", in: require)
        // Support is what `Supported` says: a `Require: timer` alone does not count.
        guard peerSupports || hasFeature("timer", in: supported) else {
            return SessionTimer(seconds: seconds, weRefresh: true)
        }
        switch parameter("refresher", in: Substring(value))?.lowercased() {
        case "uac": return SessionTimer(seconds: seconds, weRefresh: !weAnswered)
        case "uas": return SessionTimer(seconds: seconds, weRefresh: weAnswered)
        default: return SessionTimer(seconds: seconds, weRefresh: requires || !weAnswered)
        }
    }

    /// Whether option tag `feature` is among the values of `Supported`/`Require` headers.
    public static func hasFeature(_ feature: String, in values: [String]) -> Bool {
        values.contains { $0.split(separator: ",").contains { $0.trimmingCharacters(in: " \t").lowercased() == feature } }
    }

    /// Whether `method` is among the values of `Allow` headers.
    public static func allows(_ method: String, in values: [String]) -> Bool {
        values.contains { $0.split(separator: ",").contains { $0.trimmingCharacters(in: " \t").uppercased() == method } }
    }

    // MARK: Parsing help

    /// Splits a header value into its comma-separated entries, outside `<…>` and quotes.
    static func entries(_ value: String) -> [Substring] {
        var result: [Substring] = []
        var start = value.startIndex
        var inAngle = false, inQuote = false
        var index = value.startIndex
        while index < value.endIndex {
            switch value[index] {
            case "<" where !inQuote: inAngle = true
            case ">" where !inQuote: inAngle = false
            case "\"": inQuote.toggle()
            case "," where !inAngle && !inQuote:
                result.append(value[start..<index])
                start = value.index(after: index)
            default: break
            }
            index = value.index(after: index)
        }
        result.append(value[start...])
        return result
    }

    /// The value of `;name=value` after an entry's `<uri>` (or anywhere in a bare entry).
    static func parameter(_ name: String, in entry: Substring) -> String? {
        let params = entry.lastIndex(of: ">").map { entry[entry.index(after: $0)...] } ?? entry
        for part in params.split(separator: ";").dropFirst(entry.contains(">") ? 0 : 1) {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: " \t").lowercased() == name else { continue }
            return pair[1].trimmingCharacters(in: " \t\"")
        }
        return nil
    }

    /// A delay in seconds, bounded (0…3600); a value that is not a number means at once.
    static func seconds(_ text: String) -> Int {
        guard let value = Int(text.prefix(5)), value > 0 else { return 0 }
        return min(value, 3600)
    }
}

private extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
