import FuzzTargets
import SIPPhone

/// A SIP message from the far end, through what softphoned reads of it: sofia's parser (as
/// its transports run it), the headers and body copied out of sofia's structures, the four
/// auto-answer forms, the conversation header, a digest challenge's realm, an INFO's DTMF
/// body and the session timer. The raw text also goes straight to the header interpreters,
/// one line per header value, so they are reached with bytes sofia would have refused.
public enum SIPFuzzTarget {
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        if let input = SIPInput(bytes) {
            if let delay = input.autoAnswerDelay {
                FuzzDriver.require((0...3600).contains(delay), "an auto-answer delay out of bounds: \(delay)")
            }
            if let id = input.conversationID {
                FuzzDriver.require(!id.isEmpty && id.count <= 128 && !id.contains(" "), "a conversation id the phone should refuse: \(id)")
            }
            if let timer = input.sessionTimer {
                FuzzDriver.require((SIPHeaders.minimumSessionInterval...86_400).contains(timer.seconds), "a session interval out of bounds: \(timer)")
                FuzzDriver.require(timer.refreshAfter > .zero && timer.refreshAfter < timer.expiresAfter, "a refresh after the session expires: \(timer)")
            }
            if let realm = input.realm {
                FuzzDriver.require(realm.hasPrefix("\"") && realm.hasSuffix("\"") && realm.count >= 2, "a realm not quoted: \(realm)")
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        if let delay = SIPHeaders.autoAnswerDelay(callInfo: lines, alertInfo: lines, answerMode: lines) {
            FuzzDriver.require((0...3600).contains(delay), "an auto-answer delay out of bounds: \(delay)")
        }
        for line in lines.prefix(16) { _ = SIPHeaders.digestRealm(line) }
        if let timer = SIPHeaders.sessionTimer(sessionExpires: lines, supported: lines, require: lines, minSE: lines, weAnswered: true) {
            FuzzDriver.require((SIPHeaders.minimumSessionInterval...86_400).contains(timer.seconds), "a session interval out of bounds: \(timer)")
        }
        if let dtmf = SIPHeaders.dtmfRelay(text) {
            FuzzDriver.require("0123456789*#ABCD".contains(dtmf.digit) && (1...10_000).contains(dtmf.durationMilliseconds),
                               "a DTMF digit or duration the phone cannot report: \(dtmf)")
        }
        let warning = SIPHeaders.warning(text)
        FuzzDriver.require(!warning.contains("\r") && !warning.contains("\n"), "a Warning header that breaks the message")
    }
}
