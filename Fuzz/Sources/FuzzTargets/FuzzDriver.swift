import Foundation

/// Runs a fuzz target: under libFuzzer when built with `-sanitize=fuzzer` and `-DFUZZING`
/// (`make fuzz`), otherwise as a replayer of saved inputs (files or directories given as
/// arguments), which is how CI keeps every input that once crashed as a regression test.
public enum FuzzDriver {
    /// One input, as libFuzzer hands it over.
    public typealias Body = @Sendable (UnsafeRawBufferPointer) -> Void

    /// Calls `body` with every file named in `paths` (directories: every file inside, in
    /// name order). A trap ends the process; otherwise returns the number of inputs run.
    @discardableResult
    public static func replay(_ paths: some Sequence<String>, _ body: Body) -> Int {
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { body($0) }
                count += 1
            }
        }
        return count
    }

    /// `replay` on a thread of its own: the targets with async code block their caller
    /// until it finishes, which must not be a thread of Swift's shared pool (as a test is).
    public static func replayOnThread(_ paths: [String], _ body: @escaping Body) async -> Int {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: replay(paths, body)) }.start()
        }
    }

    /// The regular files at `path`: itself, or those in it (not recursive), sorted.
    public static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
    }

    /// The replayer's `main`: replays the arguments and says how many inputs ran.
    public static func replayMain(_ name: String, _ body: Body) {
        let count = replay(CommandLine.arguments.dropFirst(), body)
        print("\(name): replayed \(count) inputs without a crash")
    }

    /// Stops the fuzzer with `message` when an invariant of the code under test breaks.
    public static func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError(message()) }
    }

    /// Runs an async body to completion from libFuzzer's synchronous callback.
    public static func wait(_ body: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await body()
            done.signal()
        }
        done.wait()
    }

    #if FUZZING
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    @_silgen_name("LLVMFuzzerRunDriver")
    private static func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: Callback
    ) -> CInt

    /// Hands control to libFuzzer. SwiftPM links an executable's entry point under the name
    /// `<module>_main`, so each fuzz executable defines that symbol and calls this from it.
    public static func runLibFuzzer(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ callback: Callback
    ) -> CInt {
        var argc = argc
        var argv = argv
        return runDriver(&argc, &argv, callback)
    }
    #endif
}
