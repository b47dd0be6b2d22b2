import ControlProtocol
import Foundation

/// How the control server listens and whom it lets in.
public struct ControlServerConfiguration: Sendable, Hashable {
    /// The Unix socket path to create. Ignored when ``inheritedFD`` is set.
    public var socketPath: String?
    /// An already-listening socket handed over by systemd socket activation; the server then
    /// neither binds nor unlinks anything.
    public var inheritedFD: Int32?
    /// Users allowed besides the daemon's own uid and root.
    public var allowedUIDs: [UInt32]
    /// A group (name or numeric id) whose members are allowed; the socket file becomes 0660 and
    /// is owned by that group. Empty or `nil` for none (file mode 0600).
    public var allowedGroup: String?
    /// The longest request line accepted, in bytes, without its `\n`.
    public var maxLineLength: Int
    /// Events buffered per subscriber before the subscriber is dropped as too slow.
    public var subscriberQueueCapacity: Int
    /// Connections served at once; one more is answered with error -32000 and closed.
    /// Well above the 64 concurrent clients the daemon is sized for.
    public var maxConnections: Int

    public init(
        socketPath: String? = nil,
        inheritedFD: Int32? = nil,
        allowedUIDs: [UInt32] = [],
        allowedGroup: String? = nil,
        maxLineLength: Int = 65536,
        subscriberQueueCapacity: Int = 256,
        maxConnections: Int = 128
    ) {
        self.socketPath = socketPath
        self.inheritedFD = inheritedFD
        self.allowedUIDs = allowedUIDs
        self.allowedGroup = allowedGroup
        self.maxLineLength = maxLineLength
        self.subscriberQueueCapacity = subscriberQueueCapacity
        self.maxConnections = maxConnections
    }

    /// `$XDG_RUNTIME_DIR/softphoned/control.sock` for a user, `/run/softphoned/control.sock`
    /// for root or a system service (see ``ControlProtocol/ControlSocketPath``).
    public static func defaultSocketPath(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        uid: UInt32 = UInt32(geteuid())
    ) -> String {
        ControlSocketPath.defaultPath(environment: environment, uid: uid)
    }
}
