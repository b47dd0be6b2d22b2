import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The authorization-code flow with PKCE (RFC 7636) and a loopback redirect (RFC 8252
/// §7.3) behind `softphonectl login`: a one-shot HTTP listener on 127.0.0.1 receives the
/// platform's redirect with the code, which is exchanged (with the verifier) for the
/// tokens; the refresh token is kept by ``GenesysTokenSource``.
final class GenesysLogin: Sendable {
    /// What the agent opens in a browser.
    let authorizeURL: String
    let redirectURI: String
    private let verifier: String
    private let state: String
    private let channel: any Channel
    private let outcome = Mutex<(result: Result<Void, SignalingError>?, waiters: [CheckedContinuation<Result<Void, SignalingError>, Never>])>((nil, []))

    private init(authorizeURL: String, redirectURI: String, verifier: String, state: String, channel: any Channel) {
        self.authorizeURL = authorizeURL
        self.redirectURI = redirectURI
        self.verifier = verifier
        self.state = state
        self.channel = channel
    }

    /// A random string of unreserved characters (43 characters from 32 random bytes).
    static func randomVerifier() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Self.base64URL(Data(bytes))
    }

    static func challenge(_ verifier: String) -> String {
        Self.base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Binds the loopback listener and builds the authorize URL.
    static func begin(settings: GenesysSettings, clientID: String, tokens: GenesysTokenSource, logger: Logger) async throws -> GenesysLogin {
        let verifier = Self.randomVerifier()
        let state = Self.randomVerifier()
        let box = LoginBox()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RedirectHandler(box: box))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: settings.redirectPort).get()
        } catch {
            throw SignalingError.configuration("cannot listen on 127.0.0.1:\(settings.redirectPort) for the login redirect: \(error)")
        }
        let port = channel.localAddress?.port ?? settings.redirectPort
        let redirect = "http://127.0.0.1:\(port)/callback"
        let query = FormEncoding.encode([
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirect),
            ("code_challenge", Self.challenge(verifier)), ("code_challenge_method", "S256"), ("state", state),
        ])
        let login = GenesysLogin(authorizeURL: settings.authorizeURL + "?" + query, redirectURI: redirect, verifier: verifier,
                                 state: state, channel: channel)
        box.onRedirect = { query in
            guard query["state"] == state else { return (400, "The login's state does not match; start softphonectl login again.") }
            if let error = query["error"] {
                login.finish(.failure(.configuration("the platform refused the login: \(error) \(query["error_description"] ?? "")")))
                return (400, "Login refused: \(error). You can close this window.")
            }
            guard let code = query["code"], !code.isEmpty else { return (400, "No authorization code in the redirect.") }
            Task {
                do {
                    try await tokens.completeLogin(code: code, verifier: verifier, redirectURI: redirect)
                    login.finish(.success(()))
                } catch {
                    logger.warning("login code exchange failed", metadata: ["error": "\(error)"])
                    login.finish(.failure(GenesysSignaling.signalingError(error)))
                }
            }
            return (200, "softphoned is signing in to the platform. You can close this window.")
        }
        return login
    }

    private func finish(_ result: Result<Void, SignalingError>) {
        let waiters = self.outcome.withLock { outcome -> [CheckedContinuation<Result<Void, SignalingError>, Never>] in
            guard outcome.result == nil else { return [] }
            outcome.result = result
            defer { outcome.waiters = [] }
            return outcome.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
        self.channel.close(promise: nil)
    }

    /// Waits until the redirect arrived and the code was exchanged, or `timeout` passed.
    func wait(timeout: Duration) async -> Result<Void, SignalingError> {
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.finish(.failure(.configuration("no login within \(timeout.components.seconds) s")))
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let done = self.outcome.withLock { outcome -> Result<Void, SignalingError>? in
                if let result = outcome.result { return result }
                outcome.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    func cancel() {
        self.finish(.failure(.configuration("the login was cancelled")))
    }
}

/// Where the redirect handler reports to (set once, before the first request can arrive).
private final class LoginBox: @unchecked Sendable {
    /// Gets the redirect's query; returns the status and text for the browser.
    var onRedirect: (@Sendable ([String: String]) -> (Int, String))?
}

/// Answers the browser's redirect request.
private final class RedirectHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let box: LoginBox
    private var head: HTTPRequestHead?

    init(box: LoginBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let parts = head.uri.split(separator: "?", maxSplits: 1)
            var status = 404
            var text = "Not found."
            if parts.first == "/callback" {
                let query = parts.count > 1 ? QueryString.parse(String(parts[1])) : [:]
                (status, text) = self.box.onRedirect?(query) ?? (503, "Not ready.")
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: "\(text.utf8.count)")
            headers.add(name: "Connection", value: "close")
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers))), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                bound.value.close(promise: nil)
            }
        }
    }
}

/// `application/x-www-form-urlencoded` parsing of a query string.
enum QueryString {
    static func parse(_ query: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            fields[name] = value
        }
        return fields
    }
}
