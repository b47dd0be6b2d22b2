import Foundation
import DaemonTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A private PulseAudio daemon with a null sink: a real, real-time-paced sound server for
/// ALSA capture and playback tests on machines without a sound card.
///
/// ALSA's `pulse` PCM (libasound2-plugins) reaches it through `PULSE_SERVER`, which
/// `ensureRunning()` sets for this process. Playing into the sink `softphoned_test` and
/// recording its monitor `softphoned_test.monitor` (the default source) closes the loop.
///
/// The daemon runs with its own runtime directory and home (`/tmp/softphoned-pulse-<uid>`),
/// so it never touches a desktop's own sound server, and it is left running for the next
/// test run (starting one takes a moment; it idles at no cost).
public enum PulseAudioFixture {
    /// The null sink everything is played into.
    public static let sinkName = "softphoned_test"
    /// The sink's monitor source: what was played, as a microphone would capture it.
    public static let monitorName = "softphoned_test.monitor"

    /// The shared daemon every test of this machine's user uses.
    public static let shared = PulseAudioServer(directory: "/tmp/softphoned-pulse-\(getuid())")

    /// The daemon's runtime directory.
    public static var runtimeDirectory: String { shared.directory }
    /// The daemon's address, as `PULSE_SERVER` takes it.
    public static var server: String { shared.server }
    /// Environment for PulseAudio clients run as separate processes (pacat, parec, pactl).
    public static var environment: [String: String] { shared.environment }

    private static let ready = Mutex<Bool>(false)

    /// Starts the daemon unless it already runs, loads the null sink, makes it the default
    /// and points this process's ALSA `pulse` PCM at it. Idempotent and safe to call from
    /// tests running in parallel (they wait for the first caller).
    /// - Throws: `PulseAudioFixtureError` saying what is missing or what failed.
    public static func ensureRunning() throws(PulseAudioFixtureError) {
        try ready.withLock { (ready: inout Bool) throws(PulseAudioFixtureError) in
            if ready, isAnswering() { return }
            try shared.start()
            setenv("PULSE_SERVER", server, 1)
            ready = true
        }
    }

    /// Plays a sine tone into the null sink, in real time, as a person speaking into a
    /// microphone would. The tone is made by sox and played by pacat (neither is our code).
    /// - Returns: the running `pacat`; it exits by itself once the tone has played.
    public static func playTone(hertz: Double, seconds: Double, volume: Double = 0.3, directory: URL) throws -> ExternalProcess {
        let tone = directory.appendingPathComponent("tone-\(Int(hertz)).s16le")
        let made = try ExternalProcess.run("sox", [
            "-n", "-r", "48000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", tone.path,
            "synth", String(seconds), "sine", String(hertz), "vol", String(volume),
        ])
        guard made.succeeded else { throw PulseAudioFixtureError("cannot make the tone: \(made)") }
        return try ExternalProcess("pacat", [
            "--playback", "--raw", "--rate=48000", "--channels=1", "--format=s16le", "--device=\(sinkName)",
        ], environment: environment, standardInput: tone)
    }

    /// Starts recording the null sink's monitor (what is played into it) with parec: the
    /// fixture's sink, or `sink` (see `sourceOfItsOwn(sink:)`).
    /// Stop it with `interruptAndWait`; `RawPCM.samples(result.standardOutput)` is the audio.
    public static func recordMonitor(of sink: String? = nil) throws -> ExternalProcess {
        try ExternalProcess("parec", [
            "--raw", "--rate=48000", "--channels=1", "--format=s16le", "--device=\(sink.map { "\($0).monitor" } ?? monitorName)",
        ], environment: environment)
    }

    /// A source only the caller uses, unmuted: the monitor of a null sink named `sink`.
    ///
    /// For tests that mute a source (the capture switch of ALSA's `pulse:<source>` control):
    /// muting the shared monitor would silence what other tests, running at the same time,
    /// record from it.
    /// - Returns: the source's name.
    public static func sourceOfItsOwn(sink: String) throws(PulseAudioFixtureError) -> String {
        try ensureRunning()
        if !(try pactl(["list", "short", "sinks"])).contains(sink) {
            _ = try pactl(["load-module", "module-null-sink", "sink_name=\(sink)", "rate=48000", "channels=1"])
        }
        let source = "\(sink).monitor"
        try pactl(["set-source-mute", source, "0"])
        return source
    }

    /// Whether the sound server has `source` muted (`pactl get-source-mute`).
    public static func isMuted(source: String) throws(PulseAudioFixtureError) -> Bool {
        try pactl(["get-source-mute", source]).contains("yes")
    }

    /// True when the daemon answers `pactl info`.
    public static func isAnswering() -> Bool { shared.isAnswering() }

    /// Runs `pactl` against the fixture's daemon.
    /// - Returns: its standard output.
    @discardableResult
    public static func pactl(_ arguments: [String]) throws(PulseAudioFixtureError) -> String {
        try shared.pactl(arguments)
    }
}

/// One private PulseAudio daemon with the fixture's null sink as its default sink and the
/// sink's monitor as its default source, in a runtime directory and home of its own.
///
/// `PulseAudioFixture.shared` is the one most tests use. A test that changes the server's
/// state for everyone (the default source's mute) or stops the server runs one of its own,
/// so tests running at the same time never see its changes.
public struct PulseAudioServer: Sendable {
    /// The daemon's runtime directory (and home).
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The daemon's address, as `PULSE_SERVER` takes it.
    public var server: String { "unix:\(directory)/pulse/native" }
    /// Environment for PulseAudio clients run as separate processes (pacat, parec, pactl),
    /// and for a softphoned whose ALSA `pulse` PCM and control should reach this daemon.
    public var environment: [String: String] { ["PULSE_SERVER": server] }

    /// Starts the daemon unless it already runs, and loads the null sink as its default.
    /// - Throws: `PulseAudioFixtureError` saying what is missing or what failed.
    public func start() throws(PulseAudioFixtureError) {
        do {
            try ExternalTool.require("pulseaudio", "pactl", "pacat", "parec")
        } catch {
            throw PulseAudioFixtureError(error.description)
        }
        guard Self.alsaPulsePluginInstalled() else {
            throw PulseAudioFixtureError("ALSA's pulse plugin is not installed (Debian package libasound2-plugins); run `make test`, which installs what the tests need")
        }
        try prepareRuntimeDirectory()
        let sinkName = PulseAudioFixture.sinkName
        if !isAnswering() {
            let arguments = [
                "--daemonize=yes", "--exit-idle-time=-1", "--disallow-exit", "-n",
                // Anonymous auth: clients in other processes need no cookie from the daemon's home.
                "--load=module-native-protocol-unix auth-anonymous=1",
                "--load=module-null-sink sink_name=\(sinkName) rate=48000 channels=1",
                "--load=module-always-sink",
            ]
            let daemonEnvironment = ["XDG_RUNTIME_DIR": directory, "HOME": directory]
            let result: ExternalProcess.Result
            do {
                result = try ExternalProcess.run("pulseaudio", arguments, environment: daemonEnvironment, timeout: 30)
            } catch {
                throw PulseAudioFixtureError("cannot start pulseaudio: \(error)")
            }
            guard result.succeeded else { throw PulseAudioFixtureError("pulseaudio did not start: \(result)") }
            let deadline = Date().addingTimeInterval(15)
            while !isAnswering() {
                guard Date() < deadline else {
                    throw PulseAudioFixtureError("pulseaudio started but \(server) does not answer `pactl info` within 15 s")
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        let sinks = try pactl(["list", "short", "sinks"])
        if !sinks.contains(sinkName) {
            _ = try pactl(["load-module", "module-null-sink", "sink_name=\(sinkName)", "rate=48000", "channels=1"])
        }
        _ = try pactl(["set-default-sink", sinkName])
        _ = try pactl(["set-default-source", PulseAudioFixture.monitorName])
    }

    /// Stops the daemon (`pulseaudio --kill`) and waits until it no longer answers.
    public func stop() throws(PulseAudioFixtureError) {
        let result: ExternalProcess.Result
        do {
            result = try ExternalProcess.run("pulseaudio", ["--kill"], environment: ["XDG_RUNTIME_DIR": directory, "HOME": directory],
                                             timeout: 15)
        } catch {
            throw PulseAudioFixtureError("cannot stop pulseaudio: \(error)")
        }
        guard result.succeeded else { throw PulseAudioFixtureError("pulseaudio --kill: \(result)") }
        let deadline = Date().addingTimeInterval(10)
        while isAnswering() {
            guard Date() < deadline else { throw PulseAudioFixtureError("pulseaudio still answers 10 s after --kill") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// True when the daemon answers `pactl info`.
    public func isAnswering() -> Bool {
        (try? ExternalProcess.run("pactl", ["info"], environment: environment, timeout: 10).succeeded) ?? false
    }

    /// Runs `pactl` against this daemon.
    /// - Returns: its standard output.
    @discardableResult
    public func pactl(_ arguments: [String]) throws(PulseAudioFixtureError) -> String {
        let result: ExternalProcess.Result
        do {
            result = try ExternalProcess.run("pactl", arguments, environment: environment, timeout: 15)
        } catch {
            throw PulseAudioFixtureError("pactl \(arguments.joined(separator: " ")): \(error)")
        }
        guard result.succeeded else { throw PulseAudioFixtureError("\(result)") }
        return String(decoding: result.standardOutput, as: UTF8.self)
    }

    /// Creates the runtime directory with mode 0700, or checks an existing one is ours and private.
    private func prepareRuntimeDirectory() throws(PulseAudioFixtureError) {
        let path = directory
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw PulseAudioFixtureError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
            throw PulseAudioFixtureError("\(path) exists but is not a directory owned by uid \(getuid()); remove it")
        }
        if info.st_mode & 0o777 != 0o700 { chmod(path, 0o700) }
    }

    private static func alsaPulsePluginInstalled() -> Bool {
        let candidates = ["/usr/lib/alsa-lib", "/usr/lib64/alsa-lib", "/usr/local/lib/alsa-lib"]
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []).map { "/usr/lib/\($0)/alsa-lib" }
        return candidates.contains { FileManager.default.fileExists(atPath: "\($0)/libasound_module_pcm_pulse.so") }
    }
}

/// The PulseAudio fixture could not be set up.
public struct PulseAudioFixtureError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
