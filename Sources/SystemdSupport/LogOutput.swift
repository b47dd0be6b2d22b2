#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A file descriptor log lines are written to, one whole line per `write(2)` where the
/// kernel allows, and never interleaved with another thread's line.
public final class LogOutput: Sendable {
    /// Standard error, where a systemd service's logs reach the journal.
    public static let standardError = LogOutput(fileDescriptor: STDERR_FILENO)

    /// The descriptor written to; the caller keeps ownership.
    public let fileDescriptor: CInt
    private let lock = Mutex<Void>(())

    public init(fileDescriptor: CInt) {
        self.fileDescriptor = fileDescriptor
    }

    /// Writes `line` completely; errors (a closed stderr) are ignored, since there is
    /// nowhere left to report them.
    public func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            lock.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}
