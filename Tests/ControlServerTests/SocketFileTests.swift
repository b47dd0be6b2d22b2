import DaemonTestSupport
import ControlProtocol
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import ControlServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("ControlServer: socket file and activation")
struct SocketFileTests {
    static func fileMode(_ path: String) -> (mode: mode_t, gid: gid_t, isSocket: Bool)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_mode & 0o7777, info.st_gid, (info.st_mode & S_IFMT) == S_IFSOCK)
    }

    /// A listening socket bound at `path`, as systemd would pass it (or a crashed daemon would leave it).
    static func listeningSocket(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw ControlClientError("bind/listen \(path): errno \(errno)") }
        return fd
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "test.control")
        logger.logLevel = .critical
        return logger
    }

    @Test func socketIsPrivateAndDirectoryIsCreated() async throws {
        try await withServer { path, _, _ in
            let socket = try #require(Self.fileMode(path))
            #expect(socket.isSocket)
            #expect(socket.mode == 0o600)
            #expect(Self.fileMode(SocketFile.parent(of: path))?.mode == 0o700)
        }
    }

    @Test func allowedGroupMakesTheSocketGroupReadable() async throws {
        try await withServer(configure: { $0.allowedGroup = "nogroup" }) { path, _, _ in
            let socket = try #require(Self.fileMode(path))
            #expect(socket.mode == 0o660)
            #expect(socket.gid == 65534)
        }
    }

    @Test func unknownGroupFailsTheStart() async throws {
        let directory = TemporaryDirectory()
        let server = ControlServer(
            configuration: .init(socketPath: directory.file("c.sock"), allowedGroup: "no-such-group-xyz"),
            handler: TestHandler(bus: EventBus()), eventBus: EventBus(), logger: Self.quietLogger())
        await #expect(throws: ControlServerError.self) { try await server.run() }
        await #expect(throws: ControlServerError.self) { try await server.waitUntilReady() }
    }

    @Test func staleSocketFileIsReplaced() async throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let path = directory.file("control.sock")
        // A socket file nobody listens on any more, as a crashed run leaves behind.
        close(try Self.listeningSocket(at: path))
        #expect(Self.fileMode(path)?.isSocket == true)

        try await withServer(configure: { $0.socketPath = path }) { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            #expect(try await client.request("status").errorCode == nil)
        }
    }

    @Test func liveSocketIsRefusedNamingItsPath() async throws {
        try await withServer { path, _, _ in
            let second = ControlServer(
                configuration: .init(socketPath: path), handler: TestHandler(bus: EventBus()),
                eventBus: EventBus(), logger: Self.quietLogger())
            let error = await #expect(throws: ControlServerError.self) { try await second.run() }
            #expect(error?.isAlreadyServing == true)
            #expect(error?.description.contains(path) == true)
            // The first server still serves on its file.
            let client = try ControlClient(path: path, timeout: .seconds(20))
            #expect(try await client.request("status").errorCode == nil)
        }
    }

    @Test func regularFileAtThePathIsNotReplaced() async throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let path = directory.file("control.sock")
        FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8))
        let server = ControlServer(
            configuration: .init(socketPath: path), handler: TestHandler(bus: EventBus()),
            eventBus: EventBus(), logger: Self.quietLogger())
        let error = await #expect(throws: ControlServerError.self) { try await server.run() }
        #expect(error?.description.contains("not a socket") == true)
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test func gracefulShutdownClosesClientsAndRemovesTheFile() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("control.sock")
        let bus = EventBus()
        let server = ControlServer(
            configuration: .init(socketPath: path), handler: TestHandler(bus: bus), eventBus: bus,
            logger: Self.quietLogger())
        let group = ServiceGroup(services: [server], logger: Self.quietLogger())
        let running = Task { try await group.run() }
        try await server.waitUntilReady()
        let client = try ControlClient(path: path, timeout: .seconds(20))
        _ = try await client.request("subscribe")
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try await client.isClosedByServer())
        #expect(Self.fileMode(path) == nil)
    }

    @Test func inheritedDescriptorIsServedAndNotUnlinked() async throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let path = directory.file("activated.sock")
        let fd = try Self.listeningSocket(at: path)
        try await withServer(configure: { $0.inheritedFD = fd; $0.socketPath = nil }) { _, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            #expect(try await client.request("status").errorCode == nil)
        }
        #expect(Self.fileMode(path)?.isSocket == true)
    }
}
