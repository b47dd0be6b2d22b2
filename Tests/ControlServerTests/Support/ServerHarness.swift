import ControlProtocol
import ControlServer
import Foundation
import Logging

/// A short-lived directory under /tmp (socket paths must stay under 108 bytes).
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() {
        path = "/tmp/cst-\(UUID().uuidString.prefix(12))"
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs a real control server on a socket in a temporary directory for the duration of `body`.
func withServer<T>(
    capacity: Int = 256,
    maxLineLength: Int = 65536,
    configure: (inout ControlServerConfiguration) -> Void = { _ in },
    _ body: (_ path: String, _ server: ControlServer, _ handler: TestHandler) async throws -> T
) async throws -> T {
    let directory = TemporaryDirectory()
    let path = directory.file("run/control.sock")
    var configuration = ControlServerConfiguration(
        socketPath: path, maxLineLength: maxLineLength, subscriberQueueCapacity: capacity)
    configure(&configuration)
    let bus = EventBus(capacity: configuration.subscriberQueueCapacity)
    let handler = TestHandler(bus: bus)
    var logger = Logger(label: "test.control")
    logger.logLevel = .critical
    let server = ControlServer(configuration: configuration, handler: handler, eventBus: bus, logger: logger)
    let task = Task { try await server.run() }
    do {
        try await server.waitUntilReady()
        let result = try await body(configuration.socketPath ?? path, server, handler)
        task.cancel()
        _ = await task.result
        return result
    } catch {
        task.cancel()
        _ = await task.result
        throw error
    }
}
