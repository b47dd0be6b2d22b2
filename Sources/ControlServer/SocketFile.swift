#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The control socket's file: directory creation, stale-file detection, permissions and removal.
struct SocketFile: Sendable {
    let path: String
    /// Identity of the file created, so shutdown removes only our own file.
    private var device: UInt64 = 0
    private var inode: UInt64 = 0

    init(path: String) {
        self.path = path
    }

    /// Makes the path ready to bind: creates missing parent directories with mode 0700, replaces a
    /// stale socket file left by a crashed run, and refuses a live one or a non-socket file.
    func prepare() throws(ControlServerError) {
        guard !path.isEmpty else { throw .configuration("control socket path is empty") }
        guard path.utf8.count < 108 else {
            throw .configuration("control socket path \(path) is too long for a Unix socket (max 107 bytes)")
        }
        try Self.makeDirectories(Self.parent(of: path))
        var info = stat()
        if lstat(path, &info) != 0 {
            let error = errno
            if error == ENOENT { return }
            throw .syscall("lstat", path, errno: error)
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw .notASocket(path) }
        switch Self.probe(path) {
        case 0:
            throw .alreadyServing(path)
        case ECONNREFUSED, ENOENT:
            // Nobody listens: a file left behind by a run that did not shut down cleanly.
            try posixCall("unlink", path) { unlink(path) }
        case let error:
            throw .syscall("connect", path, errno: error)
        }
    }

    /// Sets the mode (and group) of the freshly bound socket file and remembers its identity.
    mutating func adopt(boundPath: String, mode: mode_t, groupID: UInt32?) throws(ControlServerError) {
        try posixCall("chmod", boundPath) { chmod(boundPath, mode) }
        if let groupID {
            try posixCall("chown", boundPath) { chown(boundPath, uid_t.max, gid_t(groupID)) }
        }
        if boundPath != path {
            // rename() makes the socket appear at its final path with its final mode at once.
            try posixCall("rename", "\(boundPath) -> \(path)") { rename(boundPath, path) }
        }
        var info = stat()
        try posixCall("lstat", path) { lstat(path, &info) }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// Removes the socket file if it is still the one this server created.
    func remove() {
        var info = stat()
        guard lstat(path, &info) == 0, UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode else { return }
        unlink(path)
    }

    /// A temporary name in the same directory to bind to before the final rename, or `nil` when
    /// that name would not fit a Unix socket address.
    func temporaryPath() -> String? {
        let candidate = "\(Self.parent(of: path))/.\(getpid()).control.tmp"
        return candidate.utf8.count < 108 ? candidate : nil
    }

    // MARK: - Helpers

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// `mkdir -p` with mode 0700 for every directory created.
    static func makeDirectories(_ directory: String) throws(ControlServerError) {
        var info = stat()
        if stat(directory, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw .configuration("\(directory) is not a directory; cannot create the control socket in it")
            }
            return
        }
        let parent = parent(of: directory)
        if parent != directory {
            try makeDirectories(parent)
        }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw .syscall("mkdir", directory, errno: errno)
        }
    }

    /// Tries to connect to the socket at `path`: 0 when someone answers, otherwise the errno.
    static func probe(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }
}
