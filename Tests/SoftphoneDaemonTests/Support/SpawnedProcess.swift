import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid(WNOHANG)`.
///
/// For wrappers such as `systemd-socket-activate` that close every inherited descriptor
/// before they exec the real program: Foundation's `Process` takes that close as the child's
/// exit and then blocks its monitor thread in `waitpid` until the program really ends,
/// which stalls every other `Process` in the test run meanwhile.
final class SpawnedProcess: @unchecked Sendable {
    let pid: pid_t
    let logURL: URL
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments` and exactly `environment`; stdout and stderr go to `logURL`.
    init(executable: String, arguments: [String], environment: [String: String], logURL: URL) throws {
        self.logURL = logURL
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logURL.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw DaemonProcessError("posix_spawn(\(executable)): \(String(cString: strerror(rc)))") }
        pid = child
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// The exit status once the child ended (128 + signal when killed), else `nil`.
    var status: Int32? {
        lock.withLock {
            if exitStatus == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    let signal = raw & 0x7f
                    exitStatus = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
                }
            }
            return exitStatus
        }
    }

    var isRunning: Bool { status == nil }

    /// Waits up to `timeout` seconds for the exit. - Returns: the status, or `nil` if still running.
    func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status { return status }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return status
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            _ = wait(timeout: 5)
        }
    }
}
