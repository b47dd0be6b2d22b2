import MediaCore
import MediaEngine

/// The production send path of one call, as the media thread runs it: `SendLoop.runFrame()`
/// captures a 440 Hz tone (unpaced, so the benchmark measures work, not waiting), applies
/// the command queue and the mute gate, encodes (Opus, or G.711/G.722), writes RTP, protects with SRTP
/// and sends the packet with `sendto` to a socket on loopback; RTCP goes out as it falls due.
public final class SendLoopFixture {
    public let loop: SendLoop
    private let socket: UDPSocket
    /// Where the packets go: bound, so loopback accepts them, and never read.
    private let sink: UDPSocket

    /// - Parameters:
    ///   - mute: when set, the line is muted in this mode before the measurement.
    ///   - codec: Opus, or G.711/G.722 after resampling the 48 kHz frame.
    public init(key: SRTPMasterKey, mute: MuteMode? = nil, codec: AudioCodec = .opus) throws {
        let loopback = try SocketAddress(host: "127.0.0.1", port: 9)
        sink = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        socket = try UDPSocket(localPort: 0, family: loopback, bindLoopbackOnly: true)
        var configuration = CallMediaConfiguration(
            remote: sink.localAddress, bindLoopbackOnly: true, payloadType: codec.staticPayloadType ?? 111, sendKey: key,
            source: .tone(hertz: 440), playback: .none, cname: "benchmark", mediaTimeoutSeconds: 0)
        configuration.codec = codec
        loop = try SendLoop(configuration: configuration, socket: socket, paced: false)
        loop.open()
        if let mute { loop.commands.enqueue(.mute(at: 0, mode: mute)) }
        // One frame outside the measurement: the command is applied, the encoder warmed up.
        loop.runFrame()
    }
}
