import MediaCore
import MediaEngine

/// What the call core asks of the media when a call starts.
public struct MediaRequest: Sendable {
    public var configuration: CallMediaConfiguration
    /// The mute gate's state before the first command.
    public var muted: Bool
    public var mode: MuteMode
    /// A WebRTC call's ICE/DTLS transport; nil for UDP (SDES and static calls).
    public var webrtc: WebRTCTransport?
    /// Where the media threads report their rare events.
    public var events: @Sendable (MediaEvent) -> Void
}

/// The one seam through which a call's media is created: production makes `CallMedia` as
/// asked; tests wrap it to watch (how many media objects a call made) or to adjust.
public struct MediaFactory: Sendable {
    private let make: @Sendable (MediaRequest) throws(CallMediaError) -> CallMedia

    public init(_ make: @escaping @Sendable (MediaRequest) throws(CallMediaError) -> CallMedia) {
        self.make = make
    }

    /// Real media: a socket (or the WebRTC transport), a send and a receive thread.
    public static let live = MediaFactory { (request: MediaRequest) throws(CallMediaError) -> CallMedia in
        try CallMedia(configuration: request.configuration, muted: request.muted, mode: request.mode,
                      webrtc: request.webrtc, events: request.events)
    }

    func makeMedia(_ request: MediaRequest) throws(CallMediaError) -> CallMedia { try make(request) }
}
