import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

/// Random mutes, unmutes and toggles from several clients at once, every packet on the wire
/// decrypted and decoded. `make test` runs a few hundred per mode; the full run is
/// `SOFTPHONED_TOGGLES=10000 swift test --filter MuteTortureTests` (README, "Figures").
@Suite("Mute under concurrent random toggles, checked on the wire", .serialized)
struct MuteTortureTests {
    /// Requests per mode, from the environment (default for CI).
    static var toggles: Int { ProcessInfo.processInfo.environment["SOFTPHONED_TOGGLES"].flatMap(Int.init) ?? 240 }
    static let clients = 4

    struct Request: Sendable {
        var method: String
        var sentAt: UInt64
        var repliedAt: UInt64
    }

    /// Runs `toggles` requests spread over `clients` connections at random instants.
    static func hammer(mode: String) async throws -> (WireReceiver, [Request], String) {
        let receiver = try WireReceiver(key: .random(suite: .aesCM128HMACSHA1_80))
        let daemon = try await MutePrivacyTests.startDaemon(to: receiver, mode: mode)
        defer { daemon.stop() }
        #expect(try await receiver.wait(forPackets: 10), "no media arrived: \(daemon.log)")
        let perClient = max(1, toggles / clients)
        let log = Log()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                let client = try ControlClient(path: daemon.socketPath)
                group.addTask {
                    for _ in 0..<perClient {
                        // Four clients at 0–200 ms each: about 40 requests a second, a third of them
                        // able to unmute, so muted spells last from nothing to a few hundred ms.
                        try await Task.sleep(for: .seconds(Double.random(in: 0...0.2)))
                        let draw = Int.random(in: 0..<20)
                        let method = draw < 13 ? "mute" : draw < 19 ? "unmute" : "toggle"
                        let sentAt = MonotonicClock.now()
                        do {
                            let reply = try await client.call(method, method == "mute" ? ["mode": mode] : nil)
                            let repliedAt = MonotonicClock.now()
                            log.record(Request(method: method, sentAt: sentAt, repliedAt: repliedAt),
                                       failure: reply["result"] == nil ? "\(method): \(reply)" : nil)
                        } catch {
                            log.record(nil, failure: "\(method): \(error)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await Task.sleep(for: .seconds(0.1))
        let (requests, failures) = log.contents
        #expect(failures.isEmpty, "requests failed: \(failures.prefix(5))")
        receiver.stop()
        return (receiver, requests.sorted { $0.sentAt < $1.sentAt }, daemon.log)
    }

    /// What the client tasks did, in one place.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var requests: [Request] = []
        private var failures: [String] = []
        func record(_ request: Request?, failure: String?) {
            lock.withLock {
                if let request { requests.append(request) }
                if let failure { failures.append(failure) }
            }
        }
        var contents: ([Request], [String]) { lock.withLock { (requests, failures) } }
    }

    /// Windows in which every sample captured must be muted: from a `mute` reply until the
    /// first unmute or toggle, by anyone, that may have been carried out after that mute —
    /// sent after it, or still unanswered when it was sent (requests on different connections
    /// are not ordered by their sending instants).
    static func mutedWindows(_ requests: [Request]) -> [Range<UInt64>] {
        requests.compactMap { mute in
            guard mute.method == "mute" else { return nil }
            let end = requests.filter { $0.method != "mute" && $0.repliedAt > mute.sentAt }.map(\.sentAt).min() ?? mute.repliedAt
            return mute.repliedAt < end ? mute.repliedAt..<end : nil
        }
    }

    /// When each packet's frame was captured (the instant after its last sample): a `tone:`
    /// microphone is paced on exact 20 ms deadlines and RTP timestamps count 48 kHz samples
    /// through every gap, so the timestamp gives the capture instant up to one offset — taken
    /// from the packet that left soonest after its frame. A send thread that fell behind
    /// sends frames captured before a request after its reply; this is what tells them apart.
    static func captureEnds(_ packets: [WireReceiver.Packet]) -> [UInt64] {
        guard let first = packets.first else { return [] }
        let offsets = packets.map { Int64(bitPattern: $0.arrival) - Int64($0.timestamp &- first.timestamp) * 1_000_000 / 48 }
        let origin = offsets.min() ?? 0
        return packets.map { UInt64(origin + Int64($0.timestamp &- first.timestamp) * 1_000_000 / 48) }
    }

    @Test("silence mode: in every window after a mute reply and before the next unmute, every packet is exact digital silence")
    func silenceMode() async throws {
        let (receiver, requests, log) = try await Self.hammer(mode: "silence")
        let packets = receiver.received
        try #require(packets.count > 50, "\(log)")
        #expect(receiver.authenticationFailures == 0)
        // A frame captured wholly inside a muted window, past Opus' own delay (two frames after
        // the window opened), decodes to exact zeros.
        let windows = Self.mutedWindows(requests)
        let ends = Self.captureEnds(packets)
        var checked = 0, leaked: [String] = []
        for window in windows {
            for (packet, end) in zip(packets, ends) where end - 20_000_000 >= window.lowerBound + 40_000_000 && end <= window.upperBound {
                checked += 1
                if packet.peak != 0 { leaked.append("seq \(packet.sequence) peak \(packet.peak)") }
            }
        }
        #expect(leaked.isEmpty, "\(leaked.count) of \(checked) muted packets carried audio: \(leaked.prefix(10))")
        #expect(checked >= Self.toggles / 20, "too few muted packets were checked (\(checked))")
        // Continuity: silence mode never stops RTP.
        let steps = zip(packets, packets.dropFirst()).map { $0.1.sequence &- $0.0.sequence }
        #expect(steps.allSatisfy { $0 == 1 }, "sequence gaps: \(Set(steps))")
        print("silence mode: \(requests.count) requests from \(Self.clients) clients, \(windows.count) muted windows, \(checked) muted packets checked, \(leaked.count) leaked")
    }

    @Test("disable mode: in every window after a mute reply and before the next unmute, no RTP at all")
    func disableMode() async throws {
        let (receiver, requests, log) = try await Self.hammer(mode: "disable")
        let packets = receiver.received
        try #require(packets.count > 50, "\(log)")
        // No frame captured wholly inside a muted window is sent (1 ms allowed for the offset).
        let windows = Self.mutedWindows(requests)
        let ends = Self.captureEnds(packets)
        var leaked: [String] = []
        var covered: UInt64 = 0
        for window in windows {
            covered += window.upperBound - window.lowerBound
            for (packet, end) in zip(packets, ends) where end - 20_000_000 >= window.lowerBound + 1_000_000 && end + 1_000_000 <= window.upperBound {
                leaked.append("seq \(packet.sequence), captured \(Double(end - 20_000_000 - window.lowerBound) / 1e6) ms into a muted window")
            }
        }
        #expect(leaked.isEmpty, "\(leaked.count) packets were sent while muted: \(leaked.prefix(10))")
        #expect(covered > UInt64(Self.toggles) * 10_000_000, "too little muted time was checked (\(covered / 1_000_000) ms)")
        let steps = zip(packets, packets.dropFirst()).map { $0.1.sequence &- $0.0.sequence }
        #expect(steps.allSatisfy { $0 == 1 }, "disable mode continues the sequence at +1: \(Set(steps))")
        print("disable mode: \(requests.count) requests from \(Self.clients) clients, \(windows.count) muted windows covering \(covered / 1_000_000) ms, \(leaked.count) packets leaked")
    }
}
