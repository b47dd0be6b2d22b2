import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program the tests run: a peer (GStreamer, ffmpeg, PulseAudio's tools, sox), the
/// daemon under test, or a command run to completion (`softphonectl`, `systemd-analyze`).
///
/// Output goes to files in a private directory rather than pipes, so a chatty program can
/// never block on a full pipe while the test waits for it; both streams are read once it
/// has exited (or when it is given up on).
public final class ExternalProcess: Sendable {
    /// What a finished program left behind.
    public struct Result: Sendable, CustomStringConvertible {
        /// The command line, for messages.
        public let command: String
        public let status: Int32
        /// True when the program ended on a signal rather than by exiting.
        public let signalled: Bool
        public let standardOutput: Data
        public let standardError: String

        /// Standard output as text.
        public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }

        /// True for a normal exit with status 0.
        public var succeeded: Bool { !signalled && status == 0 }

        public var description: String {
            let how = signalled ? "was killed by signal \(status)" : "exited with status \(status)"
            let error = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            return "`\(command)` \(how)" + (error.isEmpty ? "" : "; stderr:\n\(error)")
        }
    }

    /// The command line, for messages.
    public let command: String
    /// The process id.
    public let processIdentifier: pid_t
    private let state = State()
    private let outputDirectory: URL
    /// Where standard output goes (and standard error, when they share a file).
    private let standardOutputURL: URL
    private let standardErrorURL: URL?

    /// Written once by the thread that reaps the child.
    private final class State: Sendable {
        let waitStatus = Mutex<Int32?>(nil)
        let exited = DispatchSemaphore(value: 0)
    }

    /// Starts `tool` (a name looked up on `PATH`, or a path) with `arguments`.
    ///
    /// The child is spawned with `posix_spawn` and reaped by `waitpid` on a thread of its
    /// own, with an empty signal mask and default signal handling: the threads tests run
    /// on block SIGINT and SIGTERM, and a child would inherit that. (Foundation's `Process`
    /// also waits for every descendant to close an inherited descriptor, so a program that
    /// daemonizes would look as if it never exited.)
    /// - Parameters:
    ///   - environment: variables added to (or replacing those of) this process's environment.
    ///   - inheritEnvironment: false to give the program exactly `environment`.
    ///   - standardInput: a file whose contents are the program's standard input; none by default.
    ///   - output: a file both streams are appended to, interleaved (a daemon's log); by
    ///     default each goes to a file of its own in a private directory.
    /// - Throws: `ExternalToolError` when the tool is not installed, `ExternalProcessError`
    ///   when it cannot be started.
    public init(_ tool: String, _ arguments: [String], environment: [String: String] = [:],
                inheritEnvironment: Bool = true, standardInput: URL? = nil, output: URL? = nil) throws {
        let executable = try ExternalTool.path(of: tool)
        command = ([tool] + arguments).map(Self.quoted).joined(separator: " ")
        outputDirectory = try TemporaryDirectory.make(prefix: "process")
        standardOutputURL = output ?? outputDirectory.appendingPathComponent("stdout")
        standardErrorURL = output == nil ? outputDirectory.appendingPathComponent("stderr") : nil
        var merged = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        merged.merge(environment) { _, new in new }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput?.path ?? "/dev/null", O_RDONLY, 0)
        if let standardErrorURL {
            posix_spawn_file_actions_addopen(&actions, 1, standardOutputURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, standardErrorURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, standardOutputURL.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            try? FileManager.default.removeItem(at: outputDirectory)
            throw ExternalProcessError(command: command, errno: rc)
        }
        processIdentifier = pid
        let state = self.state, child = pid
        let reaper = Thread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0, errno == EINTR {}
            state.waitStatus.withLock { $0 = status }
            state.exited.signal()
        }
        reaper.name = "test-process-reaper"
        reaper.start()
    }

    /// True while the program runs.
    public var isRunning: Bool { state.waitStatus.withLock { $0 == nil } }

    /// What the program has written to standard output so far, while it runs (a peer that
    /// signals over its standard output, such as the WebRTC peers).
    public func standardOutputSoFar() -> Data {
        (try? Data(contentsOf: standardOutputURL)) ?? Data()
    }

    /// Sends SIGINT (GStreamer stops its pipeline, ffmpeg finishes its file).
    public func interrupt() { send(SIGINT) }

    /// Sends SIGTERM.
    public func terminate() { send(SIGTERM) }

    /// Sends SIGKILL: for a program that ignored the gentler signals.
    public func kill() { send(SIGKILL) }

    /// Sends `signal` while the program runs (never to a reaped, possibly reused, pid).
    public func send(_ signal: Int32) {
        // Checked under the lock so a reaped (and possibly reused) pid is never signalled.
        state.waitStatus.withLock { status in
            if status == nil { _ = Glibc.kill(processIdentifier, signal) }
        }
    }

    /// Waits for the program to exit; after `timeout` seconds it is killed and an
    /// `ExternalProcessTimeout` thrown that carries what it printed.
    @discardableResult
    public func wait(timeout: Double) throws(ExternalProcessTimeout) -> Result {
        if !waitForExit(timeout: timeout) {
            terminate()
            if !waitForExit(timeout: 2) {
                kill()
                _ = waitForExit(timeout: 5)
            }
            throw ExternalProcessTimeout(command: command, seconds: timeout, partial: collect())
        }
        return collect()
    }

    /// Waits for the program to exit without holding a thread; after `timeout` it is killed
    /// and an `ExternalProcessTimeout` thrown that carries what it printed.
    @discardableResult
    public func finished(within timeout: Duration) async throws -> Result {
        if try await eventually(timeout: timeout, { !self.isRunning }) { return collect() }
        terminate()
        if !waitForExit(timeout: 2) {
            kill()
            _ = waitForExit(timeout: 5)
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        throw ExternalProcessTimeout(command: command, seconds: seconds, partial: collect())
    }

    /// Asks the program to finish with SIGINT, then waits; escalates to SIGTERM and SIGKILL
    /// when it does not react within `timeout` seconds.
    @discardableResult
    public func interruptAndWait(timeout: Double) throws(ExternalProcessTimeout) -> Result {
        interrupt()
        return try wait(timeout: timeout)
    }

    /// Runs a program to completion.
    /// - Throws: `ExternalToolError` when it is missing, `ExternalProcessTimeout` when it
    ///   outlives `timeout` seconds (it is killed then).
    public static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:],
                           inheritEnvironment: Bool = true, standardInput: URL? = nil, output: URL? = nil,
                           timeout: Double = 30) throws -> Result {
        try ExternalProcess(tool, arguments, environment: environment, inheritEnvironment: inheritEnvironment,
                            standardInput: standardInput, output: output).wait(timeout: timeout)
    }

    deinit {
        if isRunning {
            kill()
            _ = waitForExit(timeout: 5)
        }
        try? FileManager.default.removeItem(at: outputDirectory)
    }

    /// What the program left behind, once it has exited; `nil` while it runs.
    public var result: Result? { isRunning ? nil : collect() }

    /// Blocks until the program exits or `timeout` seconds pass, without signalling it: for
    /// synchronous code (a `defer`), never for a task of the cooperative pool.
    /// - Returns: whether it exited.
    public func waitForExit(timeout: Double) -> Bool {
        if !isRunning { return true }
        guard state.exited.wait(timeout: .now() + timeout) == .success else { return false }
        // Let any other waiter through as well.
        state.exited.signal()
        return true
    }

    private func collect() -> Result {
        let out = (try? Data(contentsOf: standardOutputURL)) ?? Data()
        let err = standardErrorURL.flatMap { try? Data(contentsOf: $0) } ?? Data()
        let status = state.waitStatus.withLock { $0 }
        let (code, signalled): (Int32, Bool)
        if let status {
            let signal = status & 0x7F
            (code, signalled) = signal == 0 ? ((status >> 8) & 0xFF, false) : (signal, true)
        } else {
            (code, signalled) = (-1, false)
        }
        return Result(command: command, status: code, signalled: signalled,
                      standardOutput: out, standardError: String(decoding: err, as: UTF8.self))
    }

    private static func quoted(_ word: String) -> String {
        word.contains(where: { " \"'()$;|&<>".contains($0) }) ? "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" : word
    }
}

/// A program could not be started.
public struct ExternalProcessError: Error, CustomStringConvertible {
    public let command: String
    public let errno: Int32
    public var description: String { "cannot start `\(command)`: \(String(cString: strerror(errno)))" }
}

/// A program that did not finish in time (it has been killed).
public struct ExternalProcessTimeout: Error, CustomStringConvertible {
    public let command: String
    public let seconds: Double
    /// What it printed before it was killed.
    public let partial: ExternalProcess.Result
    public var description: String {
        "`\(command)` did not finish within \(seconds) s and was killed; stderr:\n\(partial.standardError)"
    }
}
