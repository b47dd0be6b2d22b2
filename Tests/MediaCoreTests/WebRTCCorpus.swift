import Foundation

/// WebRTC session descriptions in the shapes Chrome 156, aiortc 1.16 and Janus 1.1.2 write
/// them (captured, then addresses, identifiers and fingerprints replaced), kept as literals
/// so the test target needs no resources.
enum WebRTCCorpus {
    static let chromeFingerprint = "CA:97:81:12:CA:1B:BD:CA:FA:C2:31:B3:9A:23:DC:4D:A7:86:EF:F8:14:7C:4E:72:B9:80:77:85:AF:EE:48:BB"
    static let aiortcSHA256 = "3E:23:E8:16:00:39:59:4A:33:89:4F:65:64:E1:B1:34:8B:BD:7A:00:88:D4:2C:4A:CB:73:EE:AE:D5:9C:00:9D"
    static let aiortcSHA384 = "40:F9:8A:05:66:0B:F8:71:80:2E:E5:99:64:DE:19:45:BD:73:1A:45:CC:7F:48:E4:DA:DD:92:F3:4A:7E:EE:C0:89:E1:49:AD:8C:24:34:F1:17:92:E5:88:B7:40:D9:97"
    static let aiortcSHA512 = "48:FB:10:B1:5F:3D:44:A0:9D:C8:2D:02:B0:65:81:E0:C0:C6:94:78:C9:FD:2C:F8:F9:09:36:59:01:9A:16:87:BA:EC:DB:B3:8C:9E:72:B1:21:69:DC:41:48:69:0F:87:46:7F:91:54:F5:93:1C:5D:F6:65:C6:49:6C:BF:D5:F5"
    static let janusFingerprint = "3F:79:BB:7B:43:5B:05:32:16:51:DA:EF:D3:74:CD:C6:81:DC:06:FA:A6:5E:37:4E:38:33:7B:88:CA:04:6D:EA"

    /// Chrome's offer from `addTransceiver("audio")`, `addTransceiver("video")` and
    /// `createDataChannel`, after gathering: BUNDLE of three, red/G722/PCMU/PCMA/CN/DTMF
    /// besides Opus, extmaps, transport-cc, rtcp-rsize, an mDNS candidate, a TCP candidate,
    /// a ufrag with "/", no end-of-candidates.
    static let chromeOffer = """
        v=0
        o=- 3837487231925764351 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1 2
        a=extmap-allow-mixed
        a=msid-semantic: WMS 5d3f2a1e-7b0c-4d89-a5e2-9c1f0b7e6d43
        m=audio 47651 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 127.0.0.1
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:1467250027 1 udp 2122260223 127.0.0.1 47651 typ host generation 0 network-id 1
        a=candidate:3219481793 1 udp 2122194687 4b1f3c2a-9d7e-4f61-8a3b-2c5e7d9f1a0b.local 51820 typ host generation 0 network-id 2 network-cost 50
        a=candidate:1518280447 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1
        a=ice-ufrag:P4G/
        a=ice-pwd:Zq3vT8yXk1LmN5bR7cW2hD9e
        a=ice-options:trickle
        a=fingerprint:sha-256 \(chromeFingerprint)
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=msid:5d3f2a1e-7b0c-4d89-a5e2-9c1f0b7e6d43 8a1c0e5f-2b3d-4c6a-9e7f-1d0b2a3c4e5f
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:63 red/48000/2
        a=fmtp:63 111/111
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:126 telephone-event/8000
        a=rtcp-xr:rcvr-rtt=all
        a=ssrc:1732846380 cname:qV4ZbJhX8tK2mN0p
        a=ssrc:1732846380 msid:5d3f2a1e-7b0c-4d89-a5e2-9c1f0b7e6d43 8a1c0e5f-2b3d-4c6a-9e7f-1d0b2a3c4e5f
        m=video 9 UDP/TLS/RTP/SAVPF 96 97
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:P4G/
        a=ice-pwd:Zq3vT8yXk1LmN5bR7cW2hD9e
        a=ice-options:trickle
        a=fingerprint:sha-256 \(chromeFingerprint)
        a=setup:actpass
        a=mid:1
        a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
        a=sendrecv
        a=msid:5d3f2a1e-7b0c-4d89-a5e2-9c1f0b7e6d43 0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 nack
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=ssrc-group:FID 2602474853 3851926134
        a=ssrc:2602474853 cname:qV4ZbJhX8tK2mN0p
        a=ssrc:3851926134 cname:qV4ZbJhX8tK2mN0p
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=ice-ufrag:P4G/
        a=ice-pwd:Zq3vT8yXk1LmN5bR7cW2hD9e
        a=ice-options:trickle
        a=fingerprint:sha-256 \(chromeFingerprint)
        a=setup:actpass
        a=mid:2
        a=sctp-port:5000
        a=max-message-size:262144

        """.replacingOccurrences(of: "\n", with: "\r\n")

    /// aiortc's offer: candidates and end-of-candidates before the ICE credentials, three
    /// fingerprints, setup last, `o=` at 0.0.0.0, Opus as PT 96.
    static let aiortcOffer = """
        v=0
        o=- 3912345678 3912345678 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=group:BUNDLE 0
        a=msid-semantic:WMS *
        m=audio 51234 UDP/TLS/RTP/SAVPF 96 0 8
        c=IN IP4 192.0.2.50
        a=sendrecv
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=mid:0
        a=msid:7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f
        a=rtcp:9 IN IP4 0.0.0.0
        a=rtcp-mux
        a=ssrc:2882012471 cname:6d1f2e3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a
        a=rtpmap:96 opus/48000/2
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=candidate:a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d 1 udp 2130706431 192.0.2.50 51234 typ host
        a=candidate:0f1e2d3c4b5a69788796a5b4c3d2e1f0 1 udp 1694498815 198.51.100.7 51234 typ srflx raddr 192.0.2.50 rport 51234
        a=end-of-candidates
        a=ice-ufrag:kT4s
        a=ice-pwd:Vb8nM2qW5eR7tY9uI1oP3a
        a=fingerprint:sha-256 \(aiortcSHA256)
        a=fingerprint:sha-384 \(aiortcSHA384)
        a=fingerprint:sha-512 \(aiortcSHA512)
        a=setup:actpass

        """.replacingOccurrences(of: "\n", with: "\r\n")

    /// Janus (ice-lite) offering: fingerprint, ice-options and extmap-allow-mixed at session
    /// level, `m=audio 9` with a candidate all the same, `a=msid:janus janus0`.
    static let janusOffer = """
        v=0
        o=- 1733140800123456 1 IN IP4 10.10.0.2
        s=VideoRoom 1234
        t=0 0
        a=group:BUNDLE 0
        a=ice-lite
        a=fingerprint:sha-256 \(janusFingerprint)
        a=ice-options:trickle
        a=extmap-allow-mixed
        a=msid-semantic: WMS janus
        m=audio 9 UDP/TLS/RTP/SAVPF 111
        c=IN IP4 10.10.0.2
        a=sendonly
        a=mid:0
        a=rtcp-mux
        a=ice-ufrag:Yr8d
        a=ice-pwd:Ha4kLm9Qw2Er6Ty8Ui0Op2
        a=setup:actpass
        a=rtpmap:111 opus/48000/2
        a=fmtp:111 useinbandfec=1;usedtx=1
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=msid:janus janus0
        a=ssrc:2145337681 cname:janus
        a=candidate:1 1 udp 2015363327 10.10.0.2 40117 typ host
        a=end-of-candidates

        """.replacingOccurrences(of: "\n", with: "\r\n")

    /// Chrome's answer to softphoned's offer (`setup` substituted): `active`, recvonly, the
    /// same host candidate on two networks.
    static func chromeAnswer(setup: String = "active") -> String {
        """
        v=0
        o=- 5523145678901234567 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0
        a=extmap-allow-mixed
        a=msid-semantic: WMS
        m=audio 9 UDP/TLS/RTP/SAVPF 111
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:2999745851 1 udp 2122260223 127.0.0.1 58313 typ host generation 0 network-id 1
        a=candidate:2999745851 1 udp 2122262783 127.0.0.1 58313 typ host generation 0 network-id 2
        a=ice-ufrag:Hn2+
        a=ice-pwd:Pq7wE3rT5yU1iO9pA2sD4fG6
        a=ice-options:trickle
        a=fingerprint:sha-256 \(chromeFingerprint)
        a=setup:\(setup)
        a=mid:0
        a=recvonly
        a=rtcp-mux
        a=rtpmap:111 opus/48000/2
        a=fmtp:111 minptime=10;useinbandfec=1

        """.replacingOccurrences(of: "\n", with: "\r\n")
    }

    /// A minimal WebRTC audio offer with `extra` lines appended to the audio m-line, and
    /// each of its ICE/DTLS lines replaceable (empty: left out).
    static func minimal(ufrag: String = "a=ice-ufrag:abcd", pwd: String = "a=ice-pwd:0123456789abcdefghijkl",
                        fingerprint: String = "a=fingerprint:sha-256 \(chromeFingerprint)", setup: String = "a=setup:actpass",
                        mux: String = "a=rtcp-mux", proto: String = "UDP/TLS/RTP/SAVPF", extra: String = "") -> String {
        """
        v=0
        o=- 1 1 IN IP4 198.51.100.5
        s=-
        t=0 0
        a=group:BUNDLE 0
        m=audio 40000 \(proto) 111
        c=IN IP4 198.51.100.5
        a=mid:0
        \(ufrag)
        \(pwd)
        \(fingerprint)
        \(setup)
        \(mux)
        a=rtpmap:111 opus/48000/2
        a=candidate:1 1 udp 2130706431 198.51.100.5 40000 typ host
        \(extra)

        """
    }
}
