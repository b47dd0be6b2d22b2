import SIPPhone
import Testing

/// The header forms softphoned interprets (SPEC §5c), each with what must not be taken for it.
@Suite struct SIPHeadersTests {
    @Test(arguments: [
        (["<http://example.org>;answer-after=0"], [String](), [String](), 0 as Int?),
        (["<sip:pbx.example.org>;answer-after=3"], [], [], 3),
        (["<http://a>;purpose=icon", "<http://b>;answer-after=2"], [], [], 2),
        ([], ["<http://www.notused.com>;info=alert-autoanswer"], [], 0),
        ([], ["<http://x>;info=alert-autoanswer;delay=5"], [], 5),
        ([], ["Auto Answer"], [], 0),
        ([], ["Ring Answer"], [], 0),
        ([], [], ["Auto"], 0),
        ([], [], ["auto;require"], 0),
        // Not requests to answer:
        ([], [], ["Manual"], nil),
        (["<http://a>;purpose=info"], [], [], nil),
        ([], ["<http://x>;info=alert-internal"], [], nil),
        ([], ["<http://x/Auto Answer>"], [], nil),
        ([], [], [], nil),
    ])
    func autoAnswer(callInfo: [String], alertInfo: [String], answerMode: [String], delay: Int?) {
        #expect(SIPHeaders.autoAnswerDelay(callInfo: callInfo, alertInfo: alertInfo, answerMode: answerMode) == delay)
    }

    @Test func delaysAreBounded() {
        #expect(SIPHeaders.autoAnswerDelay(callInfo: ["<x>;answer-after=99999999999"], alertInfo: [], answerMode: []) == 3600)
        #expect(SIPHeaders.autoAnswerDelay(callInfo: ["<x>;answer-after=-4"], alertInfo: [], answerMode: []) == 0)
        #expect(SIPHeaders.autoAnswerDelay(callInfo: ["<x>;answer-after=soon"], alertInfo: [], answerMode: []) == 0)
    }

    @Test func digestRealmIsQuotedAsReceived() {
        #expect(SIPHeaders.digestRealm(#"Digest realm="pbx.example.org", nonce="abc", qop="auth""#) == #""pbx.example.org""#)
        #expect(SIPHeaders.digestRealm(#"Digest nonce="x", realm=edge, algorithm=MD5"#) == #""edge""#)
        #expect(SIPHeaders.digestRealm(#"Digest nonce="x""#) == nil)
        #expect(SIPHeaders.digestRealm(#"Digest realm="unterminated"#) == nil)
    }

    @Test func dtmfRelayBodies() {
        #expect(SIPHeaders.dtmfRelay("Signal=5\r\nDuration=160\r\n").map { "\($0.digit) \($0.durationMilliseconds)" } == "5 160")
        #expect(SIPHeaders.dtmfRelay("Signal=#\nDuration=100").map { "\($0.digit) \($0.durationMilliseconds)" } == "# 100")
        #expect(SIPHeaders.dtmfRelay("Signal=10\r\n").map { "\($0.digit) \($0.durationMilliseconds)" } == "* 100")
        #expect(SIPHeaders.dtmfRelay("Signal=11\r\n").map { "\($0.digit) \($0.durationMilliseconds)" } == "# 100")
        #expect(SIPHeaders.dtmfRelay("signal = d\r\nduration= 99999999\r\n").map { "\($0.digit) \($0.durationMilliseconds)" } == "D 10000")
        #expect(SIPHeaders.dtmfRelay("Signal=E\r\n") == nil)
        #expect(SIPHeaders.dtmfRelay("Duration=100\r\n") == nil)
        #expect(SIPHeaders.dtmfRelay("") == nil)
        let body = SIPHeaders.dtmfRelayBody(digit: "7", durationMilliseconds: 120)
        #expect(SIPHeaders.dtmfRelay(body).map { "\($0.digit) \($0.durationMilliseconds)" } == "7 120")
    }

    @Test func warningQuotesTheSentence() {
        #expect(SIPHeaders.warning("no codec in common") == #"399 softphoned "no codec in common""#)
        // Quotes, backslashes and control characters cannot break out of the quoted text.
        #expect(SIPHeaders.warning("a \"b\" \\ c\r\nX-Evil: 1") == #"399 softphoned "a 'b' ' c  X-Evil: 1""#)
    }
}
