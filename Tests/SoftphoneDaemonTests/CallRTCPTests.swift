import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import MediaTestSupport
import Testing

/// RTCP with a peer that does not multiplex it with RTP (no `a=rtcp-mux`): softphoned's
/// SRTCP goes to the peer's RTCP port, never onto its RTP port.
@Suite("RTCP with a non-mux peer", .serialized)
struct CallRTCPTests {
    @Test("without a=rtcp-mux, SRTCP goes to a=rtcp's port and none reaches the RTP port")
    func nonMuxPeerGetsRTCPOnItsRTCPPort() async throws {
        let rtp = try DatagramCollector()
        let rtcp = try DatagramCollector()
        defer { rtp.stop(); rtcp.stop() }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let daemon = try await Self.daemon()
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        let offer = Self.nonMuxOffer(session: 77, rtpPort: rtp.address.port, key: key, extra: ["a=rtcp:\(rtcp.address.port)"])
        let answer = try #require(try await client.result("call.accept", ["sdp": offer])["sdp"] as? String)
        #expect(!answer.contains("a=rtcp-mux"))
        #expect(try await rtp.arrived(within: .seconds(10)) { $0.count >= 25 }, "no RTP at the peer's RTP port")
        _ = try await client.result("call.hangup")
        func isRTCP(_ datagram: DatagramCollector.Datagram) -> Bool {
            datagram.bytes.count >= 8 && (200...204).contains(datagram.bytes[1])
        }
        // The hangup's report (SR, CNAME, BYE) is sent at once, encrypted past its first header.
        #expect(try await rtcp.arrived(within: .seconds(10)) { $0.contains(where: isRTCP) }, "no SRTCP at the peer's RTCP port")
        #expect(!rtp.datagrams.contains(where: isRTCP), "RTCP arrived on the peer's RTP port")
    }

    /// A peer without rtcp-mux that ignores our `a=rtcp` (RFC 3605) sends its reports to our
    /// RTP port + 1: softphoned listens there too, so the far end's BYE sent there ends the call.
    @Test("a non-mux peer's SRTCP sent to our RTP port + 1 is received there")
    func nonMuxPeerReportsAtPortPlusOne() async throws {
        let rtp = try DatagramCollector()
        defer { rtp.stop() }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let daemon = try await Self.daemon()
        defer { daemon.stop() }
        let client = try ControlClient(path: daemon.socketPath)
        let offer = Self.nonMuxOffer(session: 78, rtpPort: rtp.address.port, key: key)
        let answer = try #require(try await client.result("call.accept", ["sdp": offer])["sdp"] as? String)
        let portLine = try #require(answer.split(whereSeparator: \.isNewline).first { $0.hasPrefix("m=audio ") })
        let port = try #require(portLine.split(separator: " ").dropFirst().first.flatMap { UInt16($0) })
        #expect(answer.contains("a=rtcp:\(port)"), "our a=rtcp names the RTP port: \(answer)")
        #expect(try await rtp.arrived(within: .seconds(10)) { $0.count >= 10 }, "the call sends no media")

        let portPlusOne = try SocketAddress(host: "127.0.0.1", port: port + 1)
        let socket = try UDPSocket(localPort: 0, family: portPlusOne, bindLoopbackOnly: true)
        let srtp = try SRTPSession(key: key, direction: .send)
        let farEnd: UInt32 = 0x0FA2_E2D1
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        // Its report first (the far end's source, as it sends no RTP), then report + BYE.
        for bye in [false, true] {
            var length = RTCPPacket.writeReport(into: buffer, ssrc: farEnd, sender: nil)
            if bye { length += RTCPPacket.writeBye(into: UnsafeMutableRawBufferPointer(rebasing: buffer[length...]), ssrc: farEnd) }
            let protected = try srtp.protectRTCP(buffer, length: length)
            #expect(socket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<protected]), to: portPlusOne) == 0)
            try await Task.sleep(for: .seconds(0.3))
        }
        let deadline = Date().addingTimeInterval(5)
        var call: Any? = try await client.result("status")["call"]
        while call != nil && !(call is NSNull) && Date() < deadline {
            try await Task.sleep(for: .seconds(0.1))
            call = try await client.result("status")["call"]
        }
        #expect(call == nil || call is NSNull, "the BYE sent to the RTP port + 1 did not end the call")
    }

    /// A BYE names the sources that leave (RFC 3550 §6.6): one for another SSRC — a
    /// conference member, a stray or forged packet — must not hang up on the agent.
    @Test("a BYE ends the call only when it names the far end's SSRC")
    func byeForAnotherSourceIsIgnored() async throws {
        let peer = try await CallPeer(tone: 440)
        defer { peer.stop() }
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let far = try DatagramCollector()
        defer { far.stop() }
        let daemonAddress = try await peer.acceptSDESOffer(farPort: far.address.port, key: key, session: 78)
        let socket = try UDPSocket(localPort: 0, family: daemonAddress, bindLoopbackOnly: true)
        let srtp = try SRTPSession(key: key, direction: .send)
        let farEnd: UInt32 = 0x0FA2_E2D0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        /// An SRTCP compound from the far end: its receiver report, then a BYE for `leaving`.
        func sendBye(_ leaving: UInt32) throws {
            var length = RTCPPacket.writeReport(into: buffer, ssrc: farEnd, sender: nil)
            length += RTCPPacket.writeBye(into: UnsafeMutableRawBufferPointer(rebasing: buffer[length...]), ssrc: leaving)
            let protected = try srtp.protectRTCP(buffer, length: length)
            #expect(socket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<protected]), to: daemonAddress) == 0)
        }
        #expect(try await far.arrived(within: .seconds(10)) { $0.count >= 10 }, "the call sends no media")
        let mark = peer.events.events.count
        try sendBye(0x0BAD_0BAD)
        // Loopback delivers in microseconds and the receive thread handles a packet within a
        // 20 ms tick; a second is ample for the stray BYE to have been read.
        try await Task.sleep(for: .seconds(1))
        #expect(try await peer.events.wait(for: "callEnded", after: mark, timeout: 0.1) == nil, "a BYE for another SSRC ended the call")
        #expect(CallJSON.object(try await peer.status(), "call") != nil, "a BYE for another SSRC ended the call")
        try sendBye(farEnd)
        let ended = try await peer.events.wait(for: "callEnded", after: mark, timeout: 5)
        #expect(ended?["reason"] as? String == "bye", "the far end's BYE did not end the call: \(String(describing: ended))")
        #expect(peer.events.events[mark...].filter { $0["type"] as? String == "callEnded" }.count == 1)
    }
}

extension CallRTCPTests {
    /// softphoned with a tone and no playback, announcing 127.0.0.1 in its SDP.
    static func daemon() async throws -> DaemonProcess {
        try await DaemonProcess.start(yaml: """
            audio: { source: "tone:300", playback: "none" }
            call: { media-timeout: 0 }
            log: { level: warning }
            """, environment: ["SOFTPHONED_SDP_ADDRESS": "127.0.0.1"])
    }

    /// A PBX's SDES offer without `a=rtcp-mux`, with `extra` attributes (say, `a=rtcp`).
    static func nonMuxOffer(session: Int, rtpPort: UInt16, key: SRTPMasterKey, extra: [String] = []) -> String {
        ([
            "v=0", "o=- \(session) 1 IN IP4 127.0.0.1", "s=pbx", "c=IN IP4 127.0.0.1", "t=0 0",
            "m=audio \(rtpPort) RTP/SAVP 111", "a=rtpmap:111 opus/48000/2",
        ] + extra + ["a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.inlineKey)", "a=sendrecv", ""]).joined(separator: "\r\n")
    }
}
