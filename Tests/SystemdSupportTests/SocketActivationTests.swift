#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
@testable import SystemdSupport

/// Listening Unix sockets placed at consecutive descriptor numbers, as the service manager
/// would pass them, but above 3 so the test process's own descriptors stay untouched.
private final class PassedSockets {
    private static let nextFD = Atomic<CInt>(600)
    let firstFD: CInt
    let paths: [String]
    private let directory: String

    init(count: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Reserve `count` consecutive descriptor numbers well above what the process uses;
        // the shared counter keeps tests running in parallel off each other's numbers.
        var base = Self.nextFD.add(CInt(count), ordering: .relaxed).oldValue
        while (0..<CInt(count)).contains(where: { fcntl(base + $0, F_GETFD) != -1 }) {
            base = Self.nextFD.add(CInt(count), ordering: .relaxed).oldValue
        }
        firstFD = base
        var paths: [String] = []
        for index in 0..<count {
            let path = directory + "/s\(index).sock"
            let fd = try Self.listeningSocket(path: path)
            // dup2 clears FD_CLOEXEC, like descriptors inherited over exec.
            guard dup2(fd, base + CInt(index)) == base + CInt(index) else { throw SystemdError.systemCall("dup2", errno: errno) }
            close(fd)
            paths.append(path)
        }
        self.paths = paths
    }

    deinit {
        for index in 0..<paths.count { close(firstFD + CInt(index)) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func address(_ path: String) -> (sockaddr_un, socklen_t) {
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8) + [0]
        withUnsafeMutableBytes(of: &sa.sun_path) { $0.copyBytes(from: bytes) }
        return (sa, socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count))
    }

    static func listeningSocket(path: String) throws -> CInt {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (sa, length) = address(path)
        let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard fd >= 0, bound == 0, listen(fd, 8) == 0 else { throw SystemdError.systemCall("bind/listen", errno: errno) }
        return fd
    }

    /// Connects to `path` and returns the client descriptor.
    static func connect(to path: String) throws -> CInt {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (sa, length) = address(path)
        let rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        guard rc == 0 else { throw SystemdError.systemCall("connect", errno: errno) }
        return fd
    }
}

@Suite struct SocketActivationTests {
    private let pid = getpid()

    @Test func notActivatedWithoutListenPID() throws {
        #expect(try SocketActivation.listenFileDescriptors(environment: [:], unsetEnvironment: false).isEmpty)
        #expect(try SocketActivation.listenFileDescriptors(
            environment: ["LISTEN_FDS": "1"], unsetEnvironment: false).isEmpty)
    }

    @Test func ignoresDescriptorsMeantForAnotherProcess() throws {
        let sockets = try PassedSockets(count: 1)
        let found = try SocketActivation.listenFileDescriptors(
            environment: ["LISTEN_PID": "\(pid + 1)", "LISTEN_FDS": "1"],
            processID: pid, firstFD: sockets.firstFD, unsetEnvironment: false)
        #expect(found.isEmpty)
        // Left alone: still inheritable, since it was never taken.
        #expect(fcntl(sockets.firstFD, F_GETFD) & FD_CLOEXEC == 0)
    }

    @Test func takesOverAnUnnamedListeningSocket() throws {
        let sockets = try PassedSockets(count: 1)
        let found = try SocketActivation.listenFileDescriptors(
            environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "1"],
            processID: pid, firstFD: sockets.firstFD, unsetEnvironment: false)
        #expect(found == [ListenedFileDescriptor(fd: sockets.firstFD, name: "unknown")])
        let passed = try #require(found.descriptor(named: "control"))
        #expect(passed.isListeningUnixStreamSocket)
        #expect(fcntl(passed.fd, F_GETFD) & FD_CLOEXEC != 0)

        // It is the real listener: a client connecting to the path is accepted on it.
        let client = try PassedSockets.connect(to: sockets.paths[0])
        defer { close(client) }
        let accepted = accept(passed.fd, nil, nil)
        #expect(accepted >= 0)
        close(accepted)
    }

    @Test func namesComeFromListenFDNames() throws {
        let sockets = try PassedSockets(count: 2)
        let found = try SocketActivation.listenFileDescriptors(
            environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "control:metrics"],
            processID: pid, firstFD: sockets.firstFD, unsetEnvironment: false)
        #expect(found.map(\.name) == ["control", "metrics"])
        #expect(found.map(\.fd) == [sockets.firstFD, sockets.firstFD + 1])
        #expect(found.descriptor(named: "metrics")?.fd == sockets.firstFD + 1)
        #expect(found.descriptor(named: "absent") == nil)
        #expect(found.allSatisfy { fcntl($0.fd, F_GETFD) & FD_CLOEXEC != 0 })
    }

    @Test func rejectsMalformedVariables() throws {
        let sockets = try PassedSockets(count: 1)
        let cases: [[String: String]] = [
            ["LISTEN_PID": "abc", "LISTEN_FDS": "1"],
            ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "one"],
            ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "-1"],
            ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "control:extra"],
        ]
        for environment in cases {
            #expect(throws: SystemdError.self) {
                try SocketActivation.listenFileDescriptors(
                    environment: environment, processID: pid, firstFD: sockets.firstFD, unsetEnvironment: false)
            }
        }
    }

    @Test func reportsADescriptorThatIsNotOpen() throws {
        var free: CInt = 3000
        while fcntl(free, F_GETFD) != -1 { free += 1 }
        do {
            _ = try SocketActivation.listenFileDescriptors(
                environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "1"],
                processID: pid, firstFD: free, unsetEnvironment: false)
            Issue.record("expected an error")
        } catch {
            #expect(error.errno == EBADF)
        }
    }

    @Test func aPipeIsNotAListeningSocket() throws {
        var ends: [CInt] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        #expect(!ListenedFileDescriptor(fd: ends[0], name: "control").isListeningUnixStreamSocket)
    }

    @Test func unsetsTheVariablesAfterReading() throws {
        let sockets = try PassedSockets(count: 1)
        setenv("LISTEN_PID", "\(pid)", 1)
        setenv("LISTEN_FDS", "1", 1)
        setenv("LISTEN_FDNAMES", "control", 1)
        let environment = ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "control"]
        let found = try SocketActivation.listenFileDescriptors(
            environment: environment, processID: pid, firstFD: sockets.firstFD)
        #expect(found.map(\.name) == ["control"])
        #expect(getenv("LISTEN_PID") == nil)
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(getenv("LISTEN_FDNAMES") == nil)
    }
}
