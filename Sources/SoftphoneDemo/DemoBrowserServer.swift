import ControlProtocol
import ControlServer
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The demo's small HTTP server for a browser far end: the page, the offer, the events, the status.
///
/// NIOHTTP1 on 127.0.0.1 only, and only in `--demo`: a page on this machine joins the call,
/// nothing else can reach it. Four routes and nothing more; a body over 64 KiB is refused
/// before it is read (413), an unknown path is 404, a known path with another method 405.
final class DemoBrowserServer: Sendable {
    /// An answer to one request.
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String

        static func text(_ status: HTTPResponseStatus, _ body: String) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: body.hasSuffix("\n") ? body : body + "\n")
        }
    }

    /// What the routes serve, from the demo.
    struct Routes: Sendable {
        /// `GET /status`: the control socket's `status` object as JSON.
        let status: @Sendable () -> String
        /// `POST /offer`: the browser's SDP offer in, the answer (or an error) out.
        let offer: @Sendable (String) async -> Response
        /// `GET /events`: a new subscription to the daemon's events.
        let subscribe: @Sendable () -> EventSubscription
    }

    /// A larger request body is refused: an SDP offer is a few kilobytes.
    static let maximumBodyBytes = 64 * 1024

    /// The paths served and the one method each takes.
    static let methods: [String: HTTPMethod] = ["/": .GET, "/status": .GET, "/events": .GET, "/offer": .POST]

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let port: Int
    private let listener: NIOAsyncChannel<Connection, Never>
    private let routes: Routes

    private init(listener: NIOAsyncChannel<Connection, Never>, routes: Routes) {
        self.listener = listener
        self.routes = routes
        port = listener.channel.localAddress?.port ?? 0
    }

    /// Binds 127.0.0.1:`port` (0: any free port); serve with ``run()``.
    static func bind(port: Int, routes: Routes) async throws -> DemoBrowserServer {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        return DemoBrowserServer(listener: listener, routes: routes)
    }

    /// Serves connections until the task is cancelled.
    func run() async {
        try? await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    func close() {
        listener.channel.close(promise: nil)
    }

    // MARK: - One connection

    private func serve(_ connection: Connection) async {
        let channel = connection.channel
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let request):
                    head = request
                    body.clear()
                    if let length = request.headers.first(name: "content-length").flatMap(Int.init), length > Self.maximumBodyBytes {
                        try await Self.write(.tooLarge, keepAlive: false, to: outbound)
                        return
                    }
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= Self.maximumBodyBytes else {
                        try await Self.write(.tooLarge, keepAlive: false, to: outbound)
                        return
                    }
                    body.writeBuffer(&chunk)
                case .end:
                    guard let request = head else { continue }
                    head = nil
                    let path = String(request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    if path == "/events", request.method == .GET {
                        try await streamEvents(to: outbound, closing: channel)
                        return
                    }
                    let (response, allow) = await respond(to: request, path: path, body: &body)
                    try await Self.write(response, keepAlive: request.isKeepAlive, extraHeaders: allow.map { [("Allow", $0)] } ?? [],
                                         to: outbound)
                    if !request.isKeepAlive { return }
                }
            }
        }
    }

    /// The answer to a request other than `GET /events`, and the `Allow` header of a 405.
    private func respond(to request: HTTPRequestHead, path: String, body: inout ByteBuffer) async -> (Response, String?) {
        guard let method = Self.methods[path] else { return (.text(.notFound, "no such page: \(path)"), nil) }
        guard request.method == method else { return (.text(.methodNotAllowed, "\(path) takes \(method.rawValue) only"), method.rawValue) }
        switch path {
        case "/status":
            return (Response(status: .ok, contentType: "application/json", body: routes.status()), nil)
        case "/offer":
            let sdp = body.readString(length: body.readableBytes) ?? ""
            return (await routes.offer(sdp), nil)
        default:
            return (Response(status: .ok, contentType: "text/html; charset=utf-8", body: DemoBrowserPage.html), nil)
        }
    }

    /// Server-Sent Events: the status first (`event: status`), then each daemon event as the
    /// control socket's notification params (`type`, `seq`, `at` and the fields), until the
    /// browser goes away. The subscription ends with the connection, so a closed page does not
    /// keep a subscriber on the bus.
    private func streamEvents(to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, closing channel: any Channel) async throws {
        let subscription = routes.subscribe()
        channel.closeFuture.whenComplete { _ in subscription.cancel() }
        defer { subscription.cancel() }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-store")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: "retry: 1000\nevent: status\ndata: \(routes.status())\n\n"))))
        for await event in subscription {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: "data: \(event.params.jsonText)\n\n"))))
        }
        try await outbound.write(.end(nil))
    }

    private static func write(_ response: Response, keepAlive: Bool, extraHeaders: [(String, String)] = [],
                              to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let body = ByteBuffer(string: response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(body)))
        try await outbound.write(.end(nil))
    }
}

extension DemoBrowserServer.Response {
    static let tooLarge = DemoBrowserServer.Response.text(
        .payloadTooLarge, "request bodies are limited to \(DemoBrowserServer.maximumBodyBytes / 1024) KiB")
}

extension JSONValue {
    /// One line of JSON text, as on the control socket (an SSE `data:` line may not break).
    var jsonText: String {
        (try? jsonData()).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
