import CallControl
import Foundation
import Logging
import MediaCore
import MediaEngine
import Synchronization

/// The call core in-process: real media on loopback (a `tone:` source, no playback), every
/// event recorded in the hub's order, the media seam counting what it made, and a platform
/// profile that records what it was told.
final class CallCoreHarness: Sendable {
    let hub = CallEventHub()
    let mute: MuteController
    let platform = RecordingPlatform()
    let calls: CallController
    private let recorded = Locked<[CallControlEvent]>([])
    private let made = Locked<[CallMedia]>([])

    init(muteInitial: Bool = false, persistAcrossCalls: Bool = false) {
        // Our SDP names loopback, where the media binds.
        setenv("SOFTPHONED_SDP_ADDRESS", "127.0.0.1", 1)
        var settings = CallSettings()
        settings.audioSource = .tone(hertz: 440)
        settings.audioPlayback = .none
        settings.bindLoopbackOnly = true
        settings.mediaTimeoutSeconds = 0
        settings.webrtc.interfaces = ["lo"]
        mute = MuteController(initial: muteInitial, mode: .silence, persistAcrossCalls: persistAcrossCalls, events: hub)
        let made = self.made
        let factory = MediaFactory { (request: MediaRequest) throws(CallMediaError) -> CallMedia in
            let media = try CallMedia(configuration: request.configuration, muted: request.muted, mode: request.mode,
                                      webrtc: request.webrtc, events: request.events)
            made.withLock { $0.append(media) }
            return media
        }
        calls = CallController(settings: settings, mute: mute, events: hub, platform: platform, media: factory,
                               logger: Logger(label: "test.call"))
        let recorded = self.recorded
        hub.addSink { event in recorded.withLock { $0.append(event) } }
    }

    var events: [CallControlEvent] { recorded.withLock { $0 } }
    var mediaMade: [CallMedia] { made.withLock { $0 } }

    /// The phases the core went through, in order.
    var phases: [CallPhase] {
        events.compactMap { if case .call(.stateChanged(_, let phase)) = $0 { phase } else { nil } }
    }

    var endReasons: [CallEndReason] {
        events.compactMap { if case .call(.ended(_, let reason, _)) = $0 { reason } else { nil } }
    }

    var muteEvents: [MuteEvent] {
        events.compactMap { if case .mute(let event) = $0 { event } else { nil } }
    }
}

/// The platform profile as the seam sees it.
final class RecordingPlatform: PlatformCallSync {
    private let state = Mutex<(started: [PlatformCallContext], ended: Int)>(([], 0))
    func callStarted(_ context: PlatformCallContext) { state.withLock { $0.started.append(context) } }
    func callEnded() { state.withLock { $0.ended += 1 } }
    var started: [PlatformCallContext] { state.withLock { $0.started } }
    var ended: Int { state.withLock { $0.ended } }
}

/// A far end that speaks SDES SDP and runs real media (a 660 Hz tone) on loopback.
final class SDESFarEnd {
    var local: LocalMediaParameters
    private(set) var media: CallMedia?

    init() throws {
        let port = try UDPSocket(localPort: 0, family: SocketAddress(host: "127.0.0.1", port: 9), bindLoopbackOnly: true).localAddress.port
        local = LocalMediaParameters(address: "127.0.0.1", port: port)
    }

    /// An offer for this far end's session (a re-offer when `version` is above 1).
    func offer(direction: MediaDirection = .sendrecv, version: UInt64 = 1) -> (sdp: String, pending: PendingOffer) {
        local.direction = direction
        local.sessionVersion = version
        return SDPNegotiator.makeOffer(local: local)
    }

    /// Runs this far end's media as the negotiation says.
    func start(_ negotiated: NegotiatedMedia) throws {
        media?.stop()
        let configuration = CallMediaConfiguration(
            remote: try SocketAddress(host: negotiated.remote.host, port: negotiated.remote.port), localPort: local.port,
            bindLoopbackOnly: true, payloadType: negotiated.payloadType, sendKey: negotiated.localKey, receiveKey: negotiated.remoteKey,
            source: .tone(hertz: 660), playback: .none, cname: "far-end", mediaTimeoutSeconds: 0)
        let media = try CallMedia(configuration: configuration)
        media.start()
        self.media = media
    }

    /// Answers our side's offer and runs the media.
    func answer(_ offer: String) throws -> String {
        let (sdp, negotiated) = try SDPNegotiator.answer(to: offer, local: local)
        try start(negotiated)
        return sdp
    }

    deinit { media?.stop() }
}

extension CallMedia {
    var packetsReceived: UInt64 { statistics.snapshot.packetsReceived }
}

/// A value behind a lock, shareable by closures.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
