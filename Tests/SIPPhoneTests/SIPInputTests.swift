import Foundation
import SIPPhone
import Testing

/// Whole messages through sofia's parser and softphoned's reading of them, as the phone
/// reads an INVITE, a challenge and an INFO.
@Suite struct SIPInputTests {
    static func invite(_ extra: String, body: String = "") -> String {
        """
        INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r
        Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK776asdhds\r
        Max-Forwards: 70\r
        To: <sip:1001@127.0.0.1>\r
        From: "Queue Sales" <sip:queue@pbx.example.org>;tag=1928301774\r
        Call-ID: a84b4c76e66710@pbx.example.org\r
        CSeq: 314159 INVITE\r
        Contact: <sip:queue@127.0.0.1:5090>\r
        \(extra)Content-Length: \(body.utf8.count)\r
        \r
        \(body)
        """
    }

    static func read(_ text: String, header: String = "X-Conversation-Id") -> SIPInput? {
        Array(text.utf8).withUnsafeBytes { SIPInput($0, conversationHeader: header) }
    }

    @Test func readsTheCaller() throws {
        let input = try #require(Self.read(Self.invite("")))
        #expect(input.isRequest)
        #expect(input.callID == "a84b4c76e66710@pbx.example.org")
        #expect(input.from == "sip:queue@pbx.example.org")
        #expect(input.display == "\"Queue Sales\"" || input.display == "Queue Sales")
        #expect(input.autoAnswerDelay == nil)
    }

    @Test(arguments: [
        ("Call-Info: <sip:pbx.example.org>;answer-after=0\r\n", 0),
        ("Call-Info: <sip:pbx.example.org>;answer-after=2\r\n", 2),
        ("Alert-Info: <http://www.notused.com>;info=alert-autoanswer\r\n", 0),
        ("Alert-Info: <http://x>;info=alert-autoanswer;delay=4\r\n", 4),
        ("Alert-Info: Auto Answer\r\n", 0),
        ("Alert-Info: Ring Answer\r\n", 0),
        ("Answer-Mode: Auto\r\n", 0),
    ])
    func autoAnswerFormsAsSofiaParsesThem(header: String, delay: Int) throws {
        let input = try #require(Self.read(Self.invite(header)))
        #expect(input.autoAnswerDelay == delay, "\(header)")
    }

    @Test func conversationHeader() throws {
        let input = try #require(Self.read(Self.invite("X-Conversation-Id: 6f1e2d3c-aaaa-bbbb-cccc-0123456789ab\r\n")))
        #expect(input.conversationID == "6f1e2d3c-aaaa-bbbb-cccc-0123456789ab")
        let other = try #require(Self.read(Self.invite("X-Conversation-Id: 6f1e\r\n"), header: "X-Genesys-Conversation"))
        #expect(other.conversationID == nil)
        let spaced = try #require(Self.read(Self.invite("X-Conversation-Id: two words\r\n")))
        #expect(spaced.conversationID == nil)
    }

    @Test func challengeRealm() throws {
        let text = """
        SIP/2.0 401 Unauthorized\r
        Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r
        To: <sip:1001@pbx.example.org>;tag=x\r
        From: <sip:1001@pbx.example.org>;tag=y\r
        Call-ID: reg1\r
        CSeq: 1 REGISTER\r
        WWW-Authenticate: Digest realm="pbx.example.org", nonce="5f0e", qop="auth"\r
        Content-Length: 0\r
        \r

        """
        let input = try #require(Self.read(text))
        #expect(!input.isRequest)
        #expect(input.realm == "\"pbx.example.org\"")
    }

    @Test func infoDigit() throws {
        let body = "Signal=9\r\nDuration=160\r\n"
        let text = Self.invite("", body: body).replacingOccurrences(of: "INVITE sip", with: "INFO sip")
            .replacingOccurrences(of: "CSeq: 314159 INVITE", with: "CSeq: 314160 INFO")
        let input = try #require(Self.read(text))
        #expect(input.dtmfDigit == "9")
    }

    @Test func garbageIsNotAMessage() {
        #expect(Self.read("") == nil)
        #expect(Self.read("\u{0}\u{1}\u{2}") == nil || Self.read("\u{0}\u{1}\u{2}")?.callID == "")
    }
}
