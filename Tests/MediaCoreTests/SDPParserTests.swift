import Foundation
@testable import MediaCore
import Testing

@Suite struct SDPParserTests {
    @Test func parsesBrowserOfferWithCRLF() throws {
        let session = try SDPParser.parse(SDPCorpus.browser)
        #expect(session.origin?.sessionID == "4611731400430051336")
        #expect(session.origin?.sessionVersion == "2")
        #expect(session.connection == nil)
        #expect(session.attributes.first == .init("group", "BUNDLE 0 1"))
        #expect(session.media.count == 2)
        let audio = session.media[0]
        #expect(audio.media == "audio")
        #expect(audio.port == 54321)
        #expect(audio.proto == "RTP/SAVPF")
        #expect(audio.formats.first == "111")
        #expect(audio.formats.count == 13)
        #expect(audio.connection == .init(addressType: "IP4", address: "203.0.113.7"))
        #expect(audio.direction == .sendrecv)
        #expect(audio.has("rtcp-mux"))
        #expect(audio.values(of: "crypto").count == 2)
        #expect(audio.rtpmap(for: "111") == RTPMap(payloadType: "111", encoding: "opus", clockRate: 48000, channels: 2))
        #expect(audio.rtpmap(for: "0")?.encoding == "PCMU")
        #expect(audio.formatParameters(for: "111") == ["minptime": "10", "useinbandfec": "1", "maxaveragebitrate": "40000"])
        #expect(session.media[1].media == "video")
    }

    @Test func parsesMinimalLFOffer() throws {
        let session = try SDPParser.parse(SDPCorpus.gstreamer)
        #expect(session.sessionName == "GStreamer")
        #expect(session.connection?.address == "192.0.2.10")
        #expect(session.media.count == 1)
        #expect(session.media[0].rtpmap(for: "96")?.isOpus == true)
        #expect(session.media[0].direction == nil)
    }

    @Test func parsesIPv6AndDirections() throws {
        let session = try SDPParser.parse(SDPCorpus.ipv6VideoFirst)
        #expect(session.connection == .init(addressType: "IP6", address: "2001:db8::1"))
        #expect(session.direction == .sendonly)
        #expect(session.media.map(\.media) == ["video", "audio", "audio"])
        #expect(session.media[1].port == 0)
        #expect(session.media[2].connection?.address == "2001:db8::42")
        #expect(session.media[2].direction == .sendrecv)
        #expect(session.media[2].formatParameters(for: "101") == ["useinbandfec": "0", "usedtx": "1"])
        #expect(session.media[2].values(of: "unknown-attribute") == ["whatever"])
    }

    @Test func dropsMulticastSuffixAndKeepsPortCount() throws {
        let session = try SDPParser.parse("v=0\nc=IN IP4 224.2.1.1/127/3\nm=audio 49170/2 RTP/AVP 0\n")
        #expect(session.connection?.address == "224.2.1.1")
        #expect(session.media[0].portCount == 2)
        #expect(session.origin == nil)
    }

    @Test func writeThenParseGivesTheSameModel() throws {
        let original = try SDPParser.parse(SDPCorpus.ipv6VideoFirst)
        let text = SDPWriter.write(original)
        #expect(text.hasSuffix("\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(try SDPParser.parse(text) == original)
    }

    /// The parser splits lines on UTF-8 bytes for speed; it must split exactly where
    /// Swift's Characters do (every newline kind, CRLF as one, nothing inside a Character).
    @Test(arguments: [
        "v=0\r\ns=-\r\n", "v=0\ns=-\n", "v=0\rs=-\r\r\nt=0 0\n\n", "\r\n\r", "", "\n", "x",
        "v=0\u{0B}s=a\u{0C}t=0 0\u{85}a=b\u{2028}a=c\u{2029}a=d",
        "v=0\ns=caf\u{E9} \u{1F600}\u{200D}\u{1F3FB}\na=\u{301}x\r\n\u{301}\n",
        "a=\u{C2}\u{85}\u{E2}\u{80}\u{A7}\u{2027}\u{2030}\r\u{301}",
    ])
    func splitsLinesWhereCharactersBreak(text: String) {
        let reference = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        #expect(SDPParser.lines(of: text) == reference)
    }

    @Test func readsEveryNewlineKind() throws {
        let text = "v=0\u{0B}s=-\u{0C}t=0 0\rc=IN IP4 192.0.2.1\r\nm=audio 5004 RTP/SAVP 0\u{85}a=x\u{2028}a=y\u{2029}a=z"
        let session = try SDPParser.parse(text)
        #expect(session.connection?.address == "192.0.2.1")
        #expect(session.media.first?.attributes.map(\.name) == ["x", "y", "z"])
    }

    /// Attribute values are trimmed of what Foundation calls whitespace (tab and Unicode
    /// space separators), as before the parser stopped using Foundation for it.
    @Test(arguments: ["  20\t", "\u{A0}20\u{3000}", "\u{2003}20", "20", " ", "", " \u{301}20 ", "2 0", "\u{1F600} "])
    func trimsWhitespaceAsFoundationDoes(value: String) {
        #expect(value.trimmingWhitespace() == value.trimmingCharacters(in: .whitespaces))
        #expect(Substring(value).trimmingWhitespace() == value.trimmingCharacters(in: .whitespaces))
    }

    /// Found by fuzz-sdp: fields are split on the space and tab bytes, as RFC 4566 writes
    /// them. A tab then a combining mark are two Characters but a space then the mark are
    /// one, so splitting Characters read six fields from the tab-separated line and five from
    /// the same line as `SDPWriter` writes it back, with spaces.
    @Test(arguments: ["o=- 0 0 IN IP4\t\u{592}x", "o=- 0 0 IN IP4 \u{592}x", "o=- 0 0 IN\u{301} IP4 x"])
    func splitsFieldsOnBytes(origin: String) throws {
        let session = try SDPParser.parse("v=0\n\(origin)\ns=-\nt=0 0\n")
        let parsed = try #require(session.origin)
        let again = try #require(try SDPParser.parse(SDPWriter.write(session)).origin)
        #expect(again == parsed)
        #expect(parsed.sessionVersion == "0" && !parsed.address.isEmpty)
    }

    /// Found by fuzz-sdp: `x=` and an attribute's ":" are found on bytes. A combining mark
    /// after "=" or ":" is one Character with it, so a value that began with a mark once
    /// trimmed was written back as a line the parser refused (`a=\u{35A}x`) or read back as
    /// another attribute.
    @Test(arguments: ["a=   \u{35A}x", "a=\u{301}x", "a=fmtp: \u{301}111", "a=x:\u{301}", "a=\u{35A}:y"])
    func attributesReadBackAsWritten(line: String) throws {
        let session = try SDPParser.parse("v=0\ns=-\n\(line)\n")
        let again = try SDPParser.parse(SDPWriter.write(session))
        #expect(again.attributes == session.attributes)
        #expect(session.attributes.count == 1)
    }

    @Test(arguments: [("crypto", "CRYPTO"), ("rtcp-mux", "RTCP-Mux"), ("rtcp", "rtcp-mux"), ("opus", "OPUS"), ("a@", "A`"),
                      ("[", "{"), ("mid", "mId"), ("stra\u{DF}e", "STRASSE"), ("\u{C9}t\u{E9}", "\u{E9}T\u{C9}"), ("", "")])
    func comparesNamesIgnoringCaseAsFoundationDoes(a: String, b: String) {
        #expect(a.equalsIgnoringCase(b) == (a.caseInsensitiveCompare(b) == .orderedSame))
    }

    @Test(arguments: [
        // The type is one ASCII letter, then the "=" byte.
        ("v=0\na\u{301}=x\n", "line 2 is not of the form x=value"),
        ("v=0\n\u{E9}=x\n", "line 2 is not of the form x=value"),
        ("v=0\no=- 1 1 IN IP4 1.2.3.4\nhello\n", "line 3 is not of the form x=value"),
        ("v=0\r\ns=-\r\n=oops\r\n", "line 3 is not of the form x=value"),
        ("{\"sdp\": 1}", "line 1 is not of the form x=value"),
        ("s=-\nv=0\n", "the SDP does not start with v=0"),
        ("v=1\n", "the SDP has version v=1; only v=0 exists"),
        ("", "the SDP is empty"),
        ("\r\n\r\n", "the SDP is empty"),
        ("v=0\no=- 1 IN IP4 1.2.3.4\n", "line 2: the o= line must have the form o=<username> <sess-id> <sess-version> IN IP4|IP6 <address>"),
        ("v=0\nc=IN IP4\n", "line 2: the c= line must have the form c=IN IP4|IP6 <address>"),
        // Found by fuzz-sdp: parsed, then written back as `c=IN IP4 ` which did not parse.
        ("v=0\nc=IN IP4 /127\n", "line 2: the c= line must have the form c=IN IP4|IP6 <address>"),
        ("v=0\nm=audio 5004 RTP/SAVP\n", "line 2: the m= line must have the form m=<media> <port> <proto> <format> …"),
        ("v=0\nm=audio x RTP/SAVP 0\n", "line 2: the m= line must have the form m=<media> <port> <proto> <format> …"),
        ("v=0\nm=audio 70000 RTP/SAVP 0\n", "line 2: the m= line must have the form m=<media> <port> <proto> <format> …"),
        // Found by fuzz-sdp: libnice would have read the candidate only up to the NUL.
        ("v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=candidate:1 1 udp 2122260223 127.0.0.1 47651 typ host\u{0}x\n",
         "line 3 contains a NUL byte, which SDP does not allow (RFC 8866 §9)"),
        ("v=0\u{0}\n", "line 1 contains a NUL byte, which SDP does not allow (RFC 8866 §9)"),
    ])
    func rejectsMalformedText(text: String, message: String) {
        #expect(throws: SDPError.self) { try SDPParser.parse(text) }
        do {
            _ = try SDPParser.parse(text)
        } catch {
            #expect(error.description == message)
        }
    }
}
