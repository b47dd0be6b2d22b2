import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Runs one emulator's Hummingbird application in its own `ServiceGroup` and reports the
/// bound port; shared by both emulators.
struct EmulatorServer: Sendable {
    let group: ServiceGroup
    let task: Task<Void, Never>
    let port: Int

    /// - Parameter build: makes the application, given the callback it must pass as `onServerRunning`.
    static func start(logger: Logger, _ build: (@escaping @Sendable (any Channel) async -> Void) -> any Service) async throws
        -> EmulatorServer
    {
        let (outcomes, outcome) = AsyncStream.makeStream(of: Result<Int, SessionAPIEmulatorError>.self)
        let app = build { channel in outcome.yield(.success(channel.localAddress?.port ?? 0)) }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        let task = Task {
            do {
                try await group.run()
                outcome.yield(.failure(.startFailed("the server stopped")))
            } catch {
                outcome.yield(.failure(.startFailed("\(error)")))
            }
            outcome.finish()
        }
        for await result in outcomes {
            switch result {
            case .success(let port): return EmulatorServer(group: group, task: task, port: port)
            case .failure(let error):
                task.cancel()
                throw error
            }
        }
        throw SessionAPIEmulatorError.startFailed("the server stopped")
    }

    /// Shuts down gracefully, cancelling if that takes more than 2 s.
    func stop() async {
        await self.group.triggerGracefulShutdown()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(2))
            self.task.cancel()
        }
        await self.task.value
        watchdog.cancel()
    }

    /// The logger the server gets: no more talkative than warnings.
    static func quieter(_ logger: Logger) -> Logger {
        var serverLogger = logger
        if serverLogger.logLevel < .warning { serverLogger.logLevel = .warning }
        return serverLogger
    }
}

extension EmulatorAnswer {
    /// The Hummingbird response for this answer (no body for 202 and 204).
    var response: Response {
        var fields = HTTPFields()
        for (name, value) in self.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        let status = HTTPResponse.Status(code: self.status)
        if self.body.isEmpty || self.status == 204 {
            return Response(status: status, headers: fields)
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: self.body)))
    }
}

/// What the emulators read off a request before answering it.
struct IncomingRequest: Sendable {
    var method: String
    var path: String
    var arrived: Date
    var body: String
    var authorization: String?
    var contentType: String?
    var host: String?

    init(_ request: Request) async throws {
        var request = request
        self.path = request.uri.path
        self.method = request.method.rawValue
        self.arrived = Date()
        self.body = String(buffer: try await request.collectBody(upTo: 1 << 20))
        for field in request.headers {
            switch field.name.canonicalName {
            case "authorization": self.authorization = field.value
            case "content-type": self.contentType = field.value
            case "host": self.host = field.value
            default: break
            }
        }
    }
}
