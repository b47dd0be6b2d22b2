#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Whether a descriptor is the journald stream systemd connected the service to.
///
/// systemd sets `JOURNAL_STREAM=<device>:<inode>` for the service's stdout/stderr stream.
/// Comparing it with the descriptor's own device and inode (as `systemd.exec(5)` advises)
/// keeps `<N>` prefixes out of a terminal or file that stderr was redirected to by a
/// wrapper that inherited the variable.
public enum JournalStream {
    /// `true` when `JOURNAL_STREAM` names the open file behind `fd` (stderr by default).
    public static func isJournal(
        fileDescriptor fd: CInt = STDERR_FILENO,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        guard let value = environment["JOURNAL_STREAM"],
              let (device, inode) = parse(value) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// Parses `<device>:<inode>` (both decimal).
    static func parse(_ value: String) -> (device: UInt64, inode: UInt64)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }
}
