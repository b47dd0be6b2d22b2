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

    /// RFC 4028 as sofia parses it (`x:` is Session-Expires' compact form, `k:` Supported's):
    /// who refreshes, and how often, as the stack negotiates it.
    @Test(arguments: [
        // The far end's INVITE, which softphoned answers:
        ("Supported: timer\r\nSession-Expires: 1800;refresher=uas\r\n", 1800, true),
        ("Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n", 1800, false),
        ("k: timer\r\nx: 600\r\n", 600, false),           // the caller refreshes by default
        ("Require: timer\r\nSession-Expires: 600\r\n", 600, true),
        ("Require: timer\r\nSession-Expires: 600;refresher=uac\r\n", 600, true), // Require alone is not Supported: we refresh
        ("Session-Expires: 300;refresher=uac\r\n", 300, true), // a proxy's, the caller without timer: we refresh
        ("Supported: timer\r\nSession-Expires: 30;refresher=uas\r\n", 90, true), // raised to our Min-SE
        ("Supported: timer\r\nSession-Expires: 100\r\nMin-SE: 120\r\n", 120, false),
    ])
    func sessionTimerOfARequest(headers: String, seconds: Int, weRefresh: Bool) throws {
        let input = try #require(Self.read(Self.invite(headers)))
        #expect(input.sessionTimer == SIPHeaders.SessionTimer(seconds: seconds, weRefresh: weRefresh))
    }

    @Test func sessionTimerOfAResponse() throws {
        func response(_ headers: String) -> String {
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=1\r\nFrom: <sip:c@d>;tag=2\r\n"
                + "Call-ID: x@y\r\nCSeq: 2 INVITE\r\nAllow: INVITE, ACK, BYE\r\n\(headers)Content-Length: 0\r\n\r\n"
        }
        let ours = try #require(Self.read(response("Require: timer\r\nSession-Expires: 120;refresher=uac\r\n")))
        #expect(ours.sessionTimer == SIPHeaders.SessionTimer(seconds: 120, weRefresh: true))
        #expect(!ours.allowsUpdate)
        let theirs = try #require(Self.read(response("Supported: timer\r\nSession-Expires: 120;refresher=uas\r\n")))
        #expect(theirs.sessionTimer == SIPHeaders.SessionTimer(seconds: 120, weRefresh: false))
        #expect(try #require(Self.read(response(""))).sessionTimer == nil)
        #expect(try #require(Self.read(Self.invite("Allow: INVITE,UPDATE\r\nSession-Expires: soon\r\n"))).sessionTimer == nil)
        #expect(try #require(Self.read(Self.invite("Allow: INVITE,UPDATE\r\n"))).allowsUpdate)
    }

    @Test func refreshComesBeforeTheStacksOwnAndTheExpiry() {
        for seconds in [90, 120, 1800, 86_400] {
            let timer = SIPHeaders.SessionTimer(seconds: seconds, weRefresh: true)
            // The stack's own refresh comes at half the interval less 5 s at the earliest: ours 10 s before.
            #expect(timer.refreshAfter <= .seconds(seconds / 2 - 15) && timer.refreshAfter >= .seconds(seconds / 3))
            #expect(timer.expiresAfter < .seconds(seconds) && timer.expiresAfter >= .seconds(seconds - 32))
        }
    }

    @Test func garbageIsNotAMessage() {
        #expect(Self.read("") == nil)
        #expect(Self.read("\u{0}\u{1}\u{2}") == nil || Self.read("\u{0}\u{1}\u{2}")?.callID == "")
    }
}
