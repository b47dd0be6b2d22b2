import Hummingbird
import NIOCore

/// Request context that remembers the peer, so the admin surface can refuse non-loopback callers.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    var isLoopback: Bool {
        guard let address = self.remoteAddress, let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
