import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// `softphone-api-emulator` run as a process of its own for the demo, so the daemon never
/// carries the emulator (Hummingbird, its WebSocket server) in its own memory.
///
/// The binary is looked for beside the running executable (where `swift build` and
/// `make install` put both), or at `$SOFTPHONE_API_EMULATOR`.
final class EmulatorProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    private let process: Process
    private let http: HTTPClient

    private init(port: Int, process: Process, http: HTTPClient) {
        self.port = port
        self.process = process
        self.http = http
    }

    /// The emulator's executable: `$SOFTPHONE_API_EMULATOR`, else beside this executable.
    static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["SOFTPHONE_API_EMULATOR"], !path.isEmpty { return path }
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent("softphone-api-emulator").path
    }

    /// Starts the emulator on a free loopback port and waits for its banner.
    static func start(arguments: [String]) async throws -> EmulatorProcess {
        let path = Self.executable()
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "softphone-api-emulator not found at \(path) (build it with `swift build --product softphone-api-emulator`, or set SOFTPHONE_API_EMULATOR)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--host", "127.0.0.1", "--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let handle = output.fileHandleForReading
        let buffer = Mutex("")
        handle.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                continuation.finish()
                handle.readabilityHandler = nil
                return
            }
            let complete = buffer.withLock { text -> [String] in
                text += String(decoding: data, as: UTF8.self)
                var lines = text.components(separatedBy: "\n")
                text = lines.removeLast()
                return lines
            }
            for line in complete { continuation.yield(line) }
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(20))
            continuation.finish()
        }
        defer { timeout.cancel() }
        for await line in lines {
            // "softphone-api-emulator listening on http://127.0.0.1:PORT …"
            guard let range = line.range(of: "listening on http://127.0.0.1:") else { continue }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            guard let port = Int(digits) else { break }
            return EmulatorProcess(port: port, process: process, http: HTTPClient(eventLoopGroupProvider: .singleton))
        }
        process.terminate()
        throw Failure(description: "softphone-api-emulator did not start")
    }

    var pid: Int32 { self.process.processIdentifier }

    /// A request to the emulator's loopback-only control surface.
    @discardableResult
    func admin(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.port)\(path)")
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await self.http.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "emulator \(method) \(path): HTTP \(response.status.code)")
        }
        return (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// Stops the emulator and waits for it.
    func stop() async {
        try? await self.http.shutdown()
        if self.process.isRunning { self.process.terminate() }
        self.process.waitUntilExit()
    }
}
