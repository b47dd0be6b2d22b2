import Foundation
import MediaCore
import MediaEngine

/// The production send path of a WebRTC call: `SendLoop.runFrame()` as for SDES, but each
/// packet leaves through `nice_agent_send` on the selected pair of a real libnice agent,
/// connected on loopback to a second one that receives (and drops) what arrives.
public final class WebRTCSendFixture {
    public let loop: SendLoop
    private let transport: WebRTCTransport
    private let peer: WebRTCTransport

    public init(key: SRTPMasterKey) throws {
        let certificate = try DTLSCertificate.shared.get()
        let loopback = ICEConfiguration(interfaces: ["lo"])
        transport = try WebRTCTransport(configuration: loopback, controlling: true, dtlsClient: false, certificate: certificate, events: { _ in })
        peer = try WebRTCTransport(configuration: loopback, controlling: false, dtlsClient: true, certificate: certificate, events: { _ in })
        let (local, remote) = Self.wait { [transport, peer] in (await transport.gather(), await peer.gather()) }
        peer.setRemote(ufrag: local.ufrag, password: local.password, candidates: local.candidates,
                       fingerprints: [certificate.fingerprint], endOfCandidates: true)
        transport.setRemote(ufrag: remote.ufrag, password: remote.password, candidates: remote.candidates,
                            fingerprints: [certificate.fingerprint], endOfCandidates: true)
        let deadline = Date().addingTimeInterval(10)
        while !["connected", "ready"].contains(transport.status.iceState) && Date() < deadline { usleep(5_000) }
        let configuration = CallMediaConfiguration(
            remote: try SocketAddress(host: "127.0.0.1", port: 9), sendKey: key,
            source: .tone(hertz: 440), playback: .none, cname: "benchmark", mediaTimeoutSeconds: 0)
        loop = try SendLoop(configuration: configuration, webrtc: transport, paced: false)
        loop.open()
        loop.runFrame()
    }

    deinit {
        transport.close()
        peer.close()
    }

    /// Runs async set-up work from the benchmark's synchronous set-up.
    private static func wait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        Task {
            result = await body()
            done.signal()
        }
        done.wait()
        return result!
    }
}
