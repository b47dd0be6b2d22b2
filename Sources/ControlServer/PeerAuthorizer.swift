#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decides whether a peer may use the control socket (SPEC §4): the daemon's own uid, root,
/// the configured uids, and members of the configured group.
struct PeerAuthorizer: Sendable {
    let ownUID: UInt32
    let allowedUIDs: Set<UInt32>
    /// The resolved `allowedGroup`, if any.
    let allowedGID: UInt32?

    /// Resolves the group name (or number) once, at start, so a typo fails the start.
    init(ownUID: UInt32 = UInt32(geteuid()), allowedUIDs: [UInt32], allowedGroup: String?) throws(ControlServerError) {
        self.ownUID = ownUID
        self.allowedUIDs = Set(allowedUIDs)
        if let name = allowedGroup, !name.isEmpty {
            guard let gid = Self.lookUpGroup(name) else { throw .unknownGroup(name) }
            self.allowedGID = gid
        } else {
            self.allowedGID = nil
        }
    }

    /// Whether `peer` is allowed. Group membership is checked against the peer's effective gid
    /// and against the group list of the peer's user (primary and supplementary groups).
    func permits(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 || peer.uid == ownUID || allowedUIDs.contains(peer.uid) {
            return true
        }
        guard let allowedGID else { return false }
        if peer.gid == allowedGID { return true }
        return Self.groups(ofUID: peer.uid).contains(allowedGID)
    }

    static func lookUpGroup(_ name: String) -> UInt32? {
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let status = getgrnam_r(name, &group, &buffer, buffer.count, &result)
        if status == 0, let result { return result.pointee.gr_gid }
        // A numeric id that has no name in the group database is still a valid group.
        return UInt32(name)
    }

    /// The groups of the user `uid`: primary group and supplementary groups from the group database.
    static func groups(ofUID uid: UInt32) -> [UInt32] {
        var passwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &passwd, &buffer, buffer.count, &result) == 0, let result,
            let name = result.pointee.pw_name
        else { return [] }
        let primary = result.pointee.pw_gid
        var count: Int32 = 64
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(name, primary, &groups, &found) != -1 {
                return groups.prefix(Int(found)).map { UInt32($0) }
            }
            // -1 means the array was too small; `found` now holds the size needed.
            guard found > count, found < 65536 else { return [UInt32(primary)] }
            count = found
        }
    }
}
