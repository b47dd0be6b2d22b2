import Foundation
/// Session descriptions as real peers write them, kept as literals so the test target
/// needs no resources. Keys are fixed so expectations can name them.
enum SDPCorpus {
    /// 30 bytes 0x00…0x1d: a valid AES_CM_128 key and salt.
    static let key80 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
    /// 30 bytes 0x64…0x81.
    static let key32 = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB"
    /// 20 bytes: too short for any suite.
    static let shortKey = "AAECAwQFBgcICQoLDA0ODxAREhM="
    /// 44 bytes: AEAD_AES_256_GCM key and salt.
    static let key256 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis="

    /// A Chrome-style offer from the SDES era: ICE, fingerprint, BUNDLE, extmap, rtcp-fb,
    /// ssrc and msid lines around RTP/SAVPF with two a=crypto lines; audio then video.
    static let browser = """
        v=0
        o=- 4611731400430051336 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=msid-semantic: WMS 8iJ0nSpZYvN0
        m=audio 54321 RTP/SAVPF 111 103 104 9 0 8 106 105 13 110 112 113 126
        c=IN IP4 203.0.113.7
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 10.0.0.2 rport 54321 generation 0
        a=ice-ufrag:Zs8G
        a=ice-pwd:YhX1t2JY1y1Sxq5lbUsT8Wmk
        a=ice-options:trickle
        a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:D6:BC
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=sendrecv
        a=msid:8iJ0nSpZYvN0 3e0b8d3a-8f5e-4b8a-9f59-2f0c1f5f4a0e
        a=rtcp-mux
        a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key80)
        a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:\(key32)
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1;maxaveragebitrate=40000
        a=rtpmap:103 ISAC/16000
        a=rtpmap:104 ISAC/32000
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:106 CN/32000
        a=rtpmap:105 CN/16000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:112 telephone-event/32000
        a=rtpmap:113 telephone-event/16000
        a=rtpmap:126 telephone-event/8000
        a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6
        a=ssrc:3570614608 msid:8iJ0nSpZYvN0 3e0b8d3a-8f5e-4b8a-9f59-2f0c1f5f4a0e
        m=video 54321 RTP/SAVPF 96 97
        c=IN IP4 203.0.113.7
        a=mid:1
        a=rtcp-mux
        a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key80)
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 nack
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96

        """.replacingOccurrences(of: "\n", with: "\r\n")

    /// What GStreamer or ffmpeg write: minimal, LF endings, upper-case OPUS, PT 96, no rtcp-mux.
    static let gstreamer = """
        v=0
        o=- 1188340656180883 1 IN IP4 192.0.2.10
        s=GStreamer
        c=IN IP4 192.0.2.10
        t=0 0
        m=audio 5004 RTP/SAVP 96
        a=rtpmap:96 OPUS/48000/2
        a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key80)

        """

    /// IPv6, video first, a declined audio m-line, then the usable audio with media-level
    /// c=; session-level sendonly overridden by media-level sendrecv.
    static let ipv6VideoFirst = """
        v=0
        o=alice 2890844526 2890844527 IN IP6 2001:db8::1
        s=call
        c=IN IP6 2001:db8::1
        t=0 0
        a=sendonly
        m=video 6000 RTP/SAVP 98
        a=rtpmap:98 H264/90000
        a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key80)
        m=audio 0 RTP/SAVP 0
        m=audio 7078 RTP/SAVP 101 0
        c=IN IP6 2001:db8::42
        a=rtpmap:101 opus/48000/2
        a=fmtp:101 useinbandfec=0; usedtx=1
        a=ptime:40
        a=maxptime:120
        a=rtcp-mux
        a=sendrecv
        a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:\(key80)|2^31 KDR=0
        a=unknown-attribute:whatever

        """

    /// What an Asterisk-style PBX offers over SRTP: G.711 at its static payload types with
    /// no a=rtpmap for them (RFC 3551 makes it optional), RFC 4733 DTMF at 8000 Hz.
    static func pbx(formats: String = "0 8 101", rtpmap: String = "a=rtpmap:101 telephone-event/8000",
                    ptime: Int = 20) -> String {
        """
        v=0
        o=root 1917322471 1917322471 IN IP4 203.0.113.50
        s=Asterisk PBX 20.5.0
        c=IN IP4 203.0.113.50
        t=0 0
        m=audio 4000 RTP/SAVP \(formats)
        \(rtpmap)
        a=fmtp:101 0-16
        a=ptime:\(ptime)
        a=maxptime:150
        a=sendrecv
        a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key80)

        """
    }

    /// An offer with `replace` substituted into an otherwise valid minimal audio section.
    static func minimal(proto: String = "RTP/SAVP", formats: String = "111", connection: String = "c=IN IP4 198.51.100.5",
                        extra: String = "a=rtpmap:111 opus/48000/2",
                        crypto: String = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key80)") -> String {
        """
        v=0
        o=- 1 1 IN IP4 198.51.100.5
        s=-
        \(connection)
        t=0 0
        m=audio 40000 \(proto) \(formats)
        \(extra)
        \(crypto)

        """
    }
}
