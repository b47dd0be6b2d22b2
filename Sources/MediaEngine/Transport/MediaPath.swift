/// Where a call's datagrams leave and arrive: its own UDP socket (SDES), or the selected
/// ICE pair of a WebRTC transport. An enum rather than a protocol: the media threads
/// switch on it without an existential or an allocation.
enum MediaPath: @unchecked Sendable {
    /// RTP and RTCP on `socket`; for a peer without rtcp-mux, also whatever arrives at
    /// `rtcp`, the RTP port + 1 (where a peer that ignores our `a=rtcp` sends its reports).
    case udp(UDPSocket, rtcp: UDPSocket?)
    case webrtc(WebRTCTransport)

    /// - Returns: 0 on success, else an error number (counted by the caller).
    @inline(__always)
    func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> CInt {
        switch self {
        case .udp(let socket, _): socket.send(bytes, to: address)
        // ICE sends on the selected pair; the SDP's address is only its default candidate.
        case .webrtc(let transport): transport.send(bytes)
        }
    }

    /// - Parameter preferRTCPSocket: with two sockets both holding a datagram, which is read
    ///   (the receive loop alternates).
    @inline(__always)
    func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int32, preferRTCPSocket: Bool = false) -> Int? {
        switch self {
        case .udp(let socket, nil): socket.receive(into: buffer, timeoutMilliseconds: timeoutMilliseconds)
        case .udp(let socket, let rtcp?):
            UDPSocket.receive(from: rtcp, or: socket, preferFirst: preferRTCPSocket, into: buffer, timeoutMilliseconds: timeoutMilliseconds)
        case .webrtc(let transport): transport.receive(into: buffer, timeoutMilliseconds: timeoutMilliseconds)
        }
    }
}
