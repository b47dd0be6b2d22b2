/// Who is on the other end of a control connection, as reported by the kernel (`SO_PEERCRED`).
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    /// Process id of the peer at connect time.
    public var pid: Int32
    /// Effective user id of the peer at connect time.
    public var uid: UInt32
    /// Effective group id of the peer at connect time.
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid \(pid), uid \(uid), gid \(gid)" }
}
