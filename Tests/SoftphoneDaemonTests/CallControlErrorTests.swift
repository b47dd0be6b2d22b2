import DaemonTestSupport
import Foundation
import MediaCore
import Testing

/// Call methods refused through the control socket with the right code and a message that
/// says what is wrong; the daemon stays usable afterwards.
@Suite("Call method errors on the control socket", .serialized)
struct CallControlErrorTests {
    static let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80).inlineKey

    /// An offer as a SIP peer would write it; `media` replaces the m-line and `crypto` the key line.
    static func offer(media: String = "m=audio 40000 RTP/SAVP 111", rtpmap: String = "a=rtpmap:111 opus/48000/2",
                      crypto: String? = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key)") -> String {
        var lines = ["v=0", "o=peer 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", media, rtpmap, "a=rtcp-mux", "a=sendrecv"]
        if let crypto { lines.append(crypto) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    @Test("call.accept refuses offers with no codec in common, without a=crypto, DTLS-only or garbage with 1004 and the reason")
    func badOffers() async throws {
        let peer = try await CallPeer(tone: 440)
        defer { peer.stop() }
        let cases: [(String, String)] = [
            (Self.offer(media: "m=audio 40000 RTP/SAVP 18 3", rtpmap: "a=rtpmap:18 G729/8000"),
             "bad SDP: no codec in common: the offer has payload types 18 3 (G729/8000, no a=rtpmap for 3); softphoned speaks opus, PCMU, PCMA, G722 (media.codecs)"),
            (Self.offer(crypto: nil),
             "bad SDP: the audio m-line has no a=crypto line; softphoned needs SDES keys (RFC 4568)"),
            (Self.offer(media: "m=audio 40000 UDP/TLS/RTP/SAVPF 111", crypto: "a=fingerprint:sha-256 AB:CD:EF"),
             "bad SDP: the audio m-line uses UDP/TLS/RTP/SAVPF (DTLS-SRTP), which needs a WebRTC description with a=fingerprint and a=ice-ufrag; otherwise use RTP/SAVP with SDES a=crypto"),
            (Self.offer(media: "m=audio 40000 RTP/AVP 111", crypto: nil),
             "bad SDP: the audio m-line uses RTP/AVP (unencrypted RTP), which softphoned does not support; use RTP/SAVP with SDES a=crypto"),
            (Self.offer(crypto: "a=crypto:1 F8_128_HMAC_SHA1_80 \(Self.key)"),
             "bad SDP: no a=crypto line with a supported suite (offered: F8_128_HMAC_SHA1_80; supported: AES_CM_128_HMAC_SHA1_80)"),
            // Addresses the socket layer refuses: once a trap in the daemon, hanging up the agent.
            (Self.offer().replacingOccurrences(of: "c=IN IP4 127.0.0.1", with: "c=IN IP4 01.2.3.4"),
             "bad SDP: the connection address IP4 01.2.3.4 is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
            (Self.offer().replacingOccurrences(of: "c=IN IP4 127.0.0.1", with: "c=IN IP4 +1.2.3.4"),
             "bad SDP: the connection address IP4 +1.2.3.4 is not a numeric IPv4 (IN IP4) or IPv6 (IN IP6) address"),
            ("hello, world", "bad SDP: line 1 is not of the form x=value"),
            ("", "bad SDP: the SDP is empty"),
        ]
        for (sdp, message) in cases {
            let error = try await peer.error("call.accept", ["sdp": sdp])
            #expect(error.code == 1004, "\(sdp): \(error)")
            #expect(error.message == message)
        }
        // Missing params are a JSON-RPC error, not an SDP one.
        #expect(try await peer.error("call.accept", [:]).code == -32602)
        // Nothing was started by the refused offers.
        #expect(try await peer.status()["call"] is NSNull)
        #expect(!peer.events.types.contains("callStarted"))
    }

    @Test("call.answer without an offer is 1001, a mismatched answer is 1004; hangup without a call is 1001; a second call is 1002")
    func stateErrors() async throws {
        let peer = try await CallPeer(tone: 440, yaml: "call: { media-timeout: 0 }")
        defer { peer.stop() }
        let noOffer = try await peer.error("call.answer", ["sdp": Self.offer()])
        #expect(noOffer.code == 1001)
        #expect(noOffer.message == "no offer is pending: call call.offer first")
        let noCall = try await peer.error("call.hangup")
        #expect(noCall == (1001, "no active call"))

        // An answer must accept one of the offered keys by its tag.
        let offer = try await peer.control.result("call.offer")["sdp"] as? String ?? ""
        #expect(offer.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"))
        let wrongTag = try await peer.error("call.answer", ["sdp": Self.offer(crypto: "a=crypto:7 AES_CM_128_HMAC_SHA1_80 \(Self.key)")])
        #expect(wrongTag.code == 1004)
        #expect(wrongTag.message == "bad SDP: the answer's a=crypto does not match the offer: tag 7 was not offered (offered tags 1)")
        let declined = try await peer.error("call.answer", ["sdp": Self.offer(media: "m=audio 0 RTP/SAVP 111")])
        #expect(declined == (1004, "bad SDP: the audio m-line is declined (port 0)"))
        #expect(try await peer.status()["call"] is NSNull)

        // A good answer still completes the pending offer after the refused ones.
        let call = try await peer.control.result("call.answer", ["sdp": Self.offer()])
        #expect(call["remote"] as? String == "127.0.0.1:40000")
        let busy = try await peer.error("call.start", ["remote": "127.0.0.1:40002", "srtp": ["suite": "AES_CM_128_HMAC_SHA1_80", "key": Self.key]])
        #expect(busy == (1002, "a call is already active"))
        #expect(try await peer.error("call.offer").code == 1002)
        #expect(try await peer.error("call.answer", ["sdp": Self.offer()]).code == 1002)
        #expect(try await peer.control.result("call.hangup")["ended"] as? Bool == true)
        #expect(try await peer.error("call.hangup").code == 1001)
        // And call.start with bad parameters says which one.
        let badRemote = try await peer.error("call.start", ["remote": "localhost", "srtp": ["suite": "AES_CM_128_HMAC_SHA1_80", "key": Self.key]])
        #expect(badRemote.code == -32602 && badRemote.message.contains("remote"))
        let badSuite = try await peer.error("call.start", ["remote": "127.0.0.1:40002", "srtp": ["suite": "NULL", "key": Self.key]])
        #expect(badSuite.code == -32602 && badSuite.message.contains("srtp.suite"))
        let badKey = try await peer.error("call.start", ["remote": "127.0.0.1:40002", "srtp": ["suite": "AES_CM_128_HMAC_SHA1_80", "key": "inline:c2hvcnQ="]])
        #expect(badKey.code == -32602 && badKey.message.contains("srtp.key"))
    }
}
