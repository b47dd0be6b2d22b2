import MediaCore
import MediaEngine

/// What a far end makes of recorded datagrams: it authenticates and decrypts them with
/// libsrtp, parses the RTP headers, lists the RTCP packet types and decodes the Opus
/// payloads to 48 kHz mono samples.
public struct SRTPFarEnd: Sendable {
    /// One authenticated RTP packet.
    public struct Packet: Sendable {
        public let header: RTPHeader
        public let payloadLength: Int
        public let arrival: UInt64
        /// Where this packet's decoded audio lies in `samples`.
        public let samples: Range<Int>
    }

    /// One authenticated RTCP compound packet: the types of the packets inside it.
    public struct ControlPacket: Sendable {
        public let types: [UInt8]
        public let arrival: UInt64
    }

    public private(set) var packets: [Packet] = []
    public private(set) var controlPackets: [ControlPacket] = []
    /// Decoded audio, in packet order.
    public private(set) var samples: [Int16] = []
    /// Datagrams that failed authentication (wrong key, tampering).
    public private(set) var authenticationFailures = 0
    /// Datagrams refused for another reason (replay, malformed, undecodable payload).
    public private(set) var otherFailures: [String] = []

    /// Decrypts and decodes `datagrams` with the sender's key.
    /// - Throws: when libsrtp or libopus cannot be set up (not for bad packets: those are counted).
    public init(datagrams: [DatagramCollector.Datagram], key: SRTPMasterKey) throws {
        let srtp = try SRTPSession(key: key, direction: .receive)
        let decoder = try OpusDecoder()
        var pcm = [Int16](repeating: 0, count: 5_760)
        for datagram in datagrams {
            var bytes = datagram.bytes
            let isRTCP = bytes.withUnsafeBytes { RTPDemultiplexer.isRTCP($0) }
            do {
                if isRTCP {
                    let length = try bytes.withUnsafeMutableBytes { buffer throws(SRTPError) in
                        try srtp.unprotectRTCP(buffer, length: buffer.count)
                    }
                    var types: [UInt8] = []
                    _ = bytes.withUnsafeBytes { raw in
                        RTCPPacket.forEachPacket(in: UnsafeRawBufferPointer(rebasing: raw[0..<length])) { types.append($0.type) }
                    }
                    controlPackets.append(ControlPacket(types: types, arrival: datagram.arrival))
                    continue
                }
                let length = try bytes.withUnsafeMutableBytes { buffer throws(SRTPError) in
                    try srtp.unprotect(buffer, length: buffer.count)
                }
                let parsed = bytes.withUnsafeBytes { RTPHeader.parse(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
                guard let (header, payload) = parsed else {
                    otherFailures.append("malformed RTP packet of \(length) bytes")
                    continue
                }
                let decoded = try bytes.withUnsafeBytes { raw in
                    try pcm.withUnsafeMutableBufferPointer { out in
                        try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[payload]), into: out)
                    }
                }
                packets.append(Packet(header: header, payloadLength: payload.count, arrival: datagram.arrival,
                                      samples: samples.count..<(samples.count + decoded)))
                samples.append(contentsOf: pcm[0..<decoded])
            } catch let error as SRTPError where error.isAuthenticationFailure {
                authenticationFailures += 1
            } catch {
                otherFailures.append(String(describing: error))
            }
        }
    }

    /// The decoded audio of `packet`.
    public func samples(of packet: Packet) -> ArraySlice<Int16> {
        samples[packet.samples]
    }

    /// RTCP compound packets that contain a packet of `type` (e.g. `RTCPPacket.senderReport`).
    public func controlPackets(containing type: UInt8) -> [ControlPacket] {
        controlPackets.filter { $0.types.contains(type) }
    }
}
