import DaemonTestSupport
import Foundation
import MediaCore
import Testing

/// The media threads are dedicated threads named for what they do, scheduled as the
/// process's limits allow, and `status` says how.
@Suite("Media threads")
struct MediaThreadTests {
    /// Each thread of a process: its name and its scheduling policy (field 41 of /proc/…/stat).
    static func threads(of pid: Int32) -> [(name: String, policy: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // Fields after the command name start at field 3.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return (comm.trimmingCharacters(in: .whitespacesAndNewlines), fields.count > 38 ? Int(fields[38]) ?? -1 : -1)
        }
    }

    @Test("sp-media-send and sp-media-recv run the call; status.stats.mediaThreads names their scheduling, and it is true")
    func namedAndScheduled() async throws {
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        defer { receiver.stop() }
        let daemon = try await DaemonProcess.start(yaml: ServiceTests.callYAML(to: receiver, level: "warning"))
        defer { daemon.stop() }
        #expect(try await receiver.wait(forPackets: 10), "no media: \(daemon.log)")
        let threads = Self.threads(of: daemon.processIdentifier)
        let media = threads.filter { $0.name.hasPrefix("sp-media-") }
        #expect(Set(media.map(\.name)) == ["sp-media-send", "sp-media-recv"], "threads: \(threads.map(\.name))")
        let stats = try await ControlClient(path: daemon.socketPath).result("status")["stats"] as? [String: Any] ?? [:]
        let scheduling = try #require(stats["mediaThreads"] as? String)
        // SCHED_RR is policy 2 in /proc; the normal scheduler is 0.
        if scheduling.hasPrefix("SCHED_RR") {
            #expect(media.allSatisfy { $0.policy == 2 }, "status says \(scheduling), /proc says \(media)")
        } else {
            #expect(scheduling.hasPrefix("nice") || scheduling == "normal", "\(scheduling)")
            #expect(media.allSatisfy { $0.policy == 0 })
        }
        #expect(threads.filter { $0.policy == 2 }.count <= 2, "only the media threads are real-time")
    }
}
