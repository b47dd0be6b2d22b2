import DaemonTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MediaCore
import MediaEngine
import Testing

extension ServiceTests {
    /// `softphonectl` against a real `softphoned` (SPEC §4): output, `--json`, and the exit
    /// statuses 0 (success), 1 (the daemon said no), 2 (usage) and 3 (no daemon).
    @Suite("softphonectl against the daemon")
    struct SoftphonectlTests {
        let daemon: DaemonProcess

        init() async throws {
            daemon = try await DaemonProcess.start(yaml: ServiceTests.idleYAML)
        }

        func ctl(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await ServiceTests.softphonectl(["--socket", daemon.socketPath] + arguments)
        }

        func json(_ text: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
        }

        @Test("status, mute --mode disable, unmute and toggle: human output and --json")
        func muteCommands() async throws {
            let status = try await ctl(["status"])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("live"), "\(status.stdout)")
            #expect(status.stdout.contains("call: none"))

            let raw = try json(try await ctl(["status", "--json"]).stdout)
            for field in ["muted", "source", "mode", "call", "signaling", "stats"] {
                #expect(raw.keys.contains(field), "status --json lacks \(field): \(raw.keys.sorted())")
            }
            #expect(raw["muted"] as? Bool == false)
            #expect(raw["call"] is NSNull)

            let muted = try await ctl(["mute", "--mode", "disable"])
            #expect(muted.status == 0)
            #expect(muted.stdout.contains("MUTED (disable, local)"), "\(muted.stdout)")
            let afterMute = try json(try await ctl(["--json", "status"]).stdout)
            #expect(afterMute["muted"] as? Bool == true)
            #expect(afterMute["mode"] as? String == "disable")
            #expect(afterMute["source"] as? String == "local")

            let unmuted = try await ctl(["unmute"])
            #expect(unmuted.status == 0)
            #expect(unmuted.stdout.hasPrefix("live"), "\(unmuted.stdout)")

            let toggledOn = try await ctl(["toggle", "--json"])
            #expect(toggledOn.status == 0)
            #expect(try json(toggledOn.stdout)["muted"] as? Bool == true)
            let toggledOff = try await ctl(["toggle"])
            #expect(toggledOff.status == 0)
            #expect(toggledOff.stdout.hasPrefix("live"), "\(toggledOff.stdout)")
            #expect(daemon.stop().status == 0)
        }

        @Test("events --follow --json prints mute and unmute as they happen")
        func events() async throws {
            let process = try ExternalProcess(DaemonProcess.product("softphonectl").path,
                                              ["--socket", daemon.socketPath, "events", "--follow", "--json"])
            defer {
                // SIGKILL: the child inherits the test runner's signal mask, in which SIGTERM may be blocked.
                process.kill()
                _ = process.waitForExit(timeout: 10)
            }
            func printed() -> String { String(decoding: process.standardOutputSoFar(), as: UTF8.self) }
            func types() -> [String] {
                printed().split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
                }
            }
            // The subscription is in place some time after start: keep changing the state until
            // both events show up (each real change emits exactly one event).
            let client = try ControlClient(path: daemon.socketPath)
            let seen = try await eventually(timeout: .seconds(8)) {
                _ = try? await client.result("mute")
                _ = try? await client.result("unmute")
                try await Task.sleep(for: .seconds(0.1))
                let seen = types()
                return seen.contains("mute") && seen.contains("unmute")
            }
            #expect(seen, "events printed: \(printed())")
            // Idempotence: a mute of a muted line prints nothing more.
            _ = try await client.result("mute")
            try await Task.sleep(for: .seconds(0.2))
            let count = types().count
            _ = try await client.result("mute")
            try await Task.sleep(for: .seconds(0.3))
            #expect(types().count == count, "a repeated mute emitted an event")
            #expect(types().allSatisfy { ["mute", "unmute"].contains($0) }, "\(types())")
        }

        @Test("call start and call hangup; hangup with no call exits 1 with error 1001; a second call exits 1 with 1002")
        func calls() async throws {
            let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
            defer { receiver.stop() }
            let start = ["call", "start", "--remote", "127.0.0.1:\(receiver.port)", "--suite", "AES_CM_128_HMAC_SHA1_80",
                         "--key", receiver.key.inlineKey]
            let started = try await ctl(start)
            #expect(started.status == 0, "\(started.stderr)")
            #expect(started.stdout.contains("127.0.0.1:\(receiver.port)"), "\(started.stdout)")
            #expect(try await receiver.wait(forPackets: 10), "no media after call start: \(daemon.log)")
            #expect(receiver.authenticationFailures == 0)

            let again = try await ctl(start)
            #expect(again.status == 1)
            #expect(again.stderr.contains("1002"), "\(again.stderr)")

            let status = try json(try await ctl(["status", "--json"]).stdout)
            #expect(status["call"] is [String: Any])

            let hungUp = try await ctl(["call", "hangup"])
            #expect(hungUp.status == 0, "\(hungUp.stderr)")
            #expect(try await eventually(timeout: .seconds(3)) { receiver.sawBye }, "no RTCP BYE after hangup")

            let noCall = try await ctl(["call", "hangup"])
            #expect(noCall.status == 1)
            #expect(noCall.stderr.contains("1001"), "\(noCall.stderr)")
            #expect(daemon.stop().status == 0)
        }

        @Test("usage errors exit 2 without touching the daemon", arguments: [
            ["frobnicate"],
            ["mute", "--mode", "loud"],
            ["call", "start", "--remote", "127.0.0.1:5004"],
            ["events", "--type", "nonsense"],
        ])
        func usage(_ arguments: [String]) async throws {
            // A socket that only counts connections: the daemon's state could not show it,
            // since none of these commands would change it even if it were sent.
            let listener = try UnixListener(path: daemon.directory.appendingPathComponent("usage.sock").path)
            let run = try await ServiceTests.softphonectl(["--socket", listener.path] + arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
            #expect(!run.stderr.isEmpty)
            #expect(listener.pendingConnections() == 0, "\(arguments): softphonectl connected before refusing its arguments")
        }

        @Test("no daemon at the socket: exit 3 with a hint")
        func noDaemon() async throws {
            let path = daemon.directory.appendingPathComponent("nobody.sock").path
            let run = try await ServiceTests.softphonectl(["--socket", path, "status"])
            #expect(run.status == 3)
            #expect(run.stderr.contains("cannot connect") && run.stderr.contains(path), "\(run.stderr)")
            // And a daemon that went away while its socket file stayed.
            daemon.stop(signal: SIGKILL)
            let stale = try await ServiceTests.softphonectl(["--socket", daemon.socketPath, "mute"])
            #expect(stale.status == 3, "\(stale.stderr)")
        }
    }
}

/// A listening `AF_UNIX` stream socket that never accepts: it counts who connected.
final class UnixListener {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        // A cut path would bind elsewhere, and "nobody connected" would prove nothing: `with` refuses it.
        let bound = try UnixSocketAddress.with(path) { bind(fd, $0, $1) }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else {
            let error = errno
            close(fd)
            throw DaemonProcessError("listen(\(path)): \(String(cString: strerror(error)))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Accepts (and closes) every connection waiting now. - Returns: how many there were.
    func pendingConnections() -> Int {
        var count = 0
        while case let client = accept(fd, nil, nil), client >= 0 {
            close(client)
            count += 1
        }
        return count
    }

    deinit {
        close(fd)
        unlink(path)
    }
}
