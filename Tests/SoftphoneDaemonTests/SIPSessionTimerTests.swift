import DaemonTestSupport
import Foundation
import MediaCore
import Synchronization
import Testing

/// Session timers (RFC 4028) on a SIP call, against a far end that writes its SIP by hand:
/// softphoned refreshes when it is the refresher (UPDATE where allowed, a re-INVITE with its
/// unchanged description otherwise, the mute untouched), and ends the call when the far end,
/// the refresher, lets the session run out. Three calls run side by side: the interval cannot
/// be shorter than RFC 4028's 90 s.
@Suite("SIP session timers: refreshed by softphoned, or ended when the far end stops refreshing")
struct SIPSessionTimerTests {
    typealias FarOffer = CallRenegotiationTests.FarOffer

    static let interval = 90
    static func seconds(_ from: UInt64, _ to: UInt64) -> Double { SIPCallTests.milliseconds(from, to) / 1000 }

    @Test("softphoned refreshes at half the interval less 15 s, before the stack would (UPDATE, or re-INVITE without UPDATE), and muted stays muted; a far end that stops refreshing gets BYE before the session expires")
    func sessionTimers() async throws {
        async let byUpdate: Void = Self.softphonedRefreshes(allowUpdate: true)
        async let byReinvite: Void = Self.softphonedRefreshes(allowUpdate: false)
        async let expiry: Void = Self.farEndStopsRefreshing()
        _ = try await (byUpdate, byReinvite, expiry)
    }

    /// The far end asks softphoned to refresh (`refresher=uas`): two refreshes come, each at half
    /// the interval less 15 s after the last (30 s at 90 s), before the stack's own refresh could
    /// (half the interval less 5 s, counted in whole seconds), and the call goes on muted.
    static func softphonedRefreshes(allowUpdate: Bool) async throws {
        let (peer, address) = try await SIPCallTests.startPhone()
        defer { peer.stop() }
        let caller = try RawSIPPeer(target: address)
        defer { caller.stop() }
        let offer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        let version = Mutex(offer.version)
        caller.answerRequests { request in
            guard request.method == "INVITE" else { return (200, "") }
            var answer = offer
            answer.version = version.withLock { $0 += 1; return $0 }
            return (200, answer.sdp)
        }
        let allow = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS" + (allowUpdate ? ", UPDATE" : "")
        let answered = try await #require(caller.invite(offer.sdp, extra: [allow, "Supported: timer",
                                                                            "Session-Expires: \(interval);refresher=uas", "Min-SE: 90"]))
        #expect(answered.status == 200, "\(answered)")
        #expect(answered.header("Session-Expires") == "\(interval);refresher=uas", "\(answered)")
        let ourKey = try CallRenegotiationTests.answerKey(answered.body)
        let receiver = try WireReceiver(key: ourKey, localPort: offer.port)
        defer { receiver.stop() }
        #expect(try await receiver.wait(forPackets: 10))
        #expect(try await peer.control.result("mute")["muted"] as? Bool == true)
        let eventsBefore = peer.events.types.count
        // Packets already on their way when the mute was acknowledged are not the refreshes' business.
        try await Task.sleep(for: .seconds(0.1))
        let muted = receiver.received.count

        let method = allowUpdate ? "UPDATE" : "INVITE"
        var last = answered.arrival
        for round in 1...2 {
            let mark = caller.received.count
            let refresh = try #require(try await caller.wait(timeout: Double(interval) / 2 + 5, after: mark) { $0.method != nil && $0.method != "ACK" },
                                       "no refresh \(round): \(peer.daemon.log)")
            let after = seconds(last, refresh.arrival)
            print("\(method) refresh \(round) after \(after) s (interval \(interval) s)")
            #expect(refresh.method == method, "\(refresh)")
            #expect(after >= Double(interval / 2 - 15) - 0.5 && after <= Double(interval / 2 - 5 - 1), "refresh \(round) after \(after) s")
            #expect(refresh.header("Session-Expires") == "\(interval);refresher=uac", "\(refresh)")
            if allowUpdate {
                #expect(refresh.body.isEmpty, "an UPDATE refresh carries no offer: \(refresh)")
            } else {
                // Our description as before: the same port and key, no restart.
                #expect(SDPText.audioPort(refresh.body) == SDPText.audioPort(answered.body), "\(refresh)")
                #expect(try CallRenegotiationTests.answerKey(refresh.body) == ourKey)
            }
            // The far end answers at once: the next interval runs from here.
            last = refresh.arrival
        }
        let count = receiver.received.count
        #expect(try await receiver.wait(forPackets: count + 20), "media stopped across the refreshes")
        #expect(try await peer.status()["muted"] as? Bool == true)
        #expect(receiver.received[muted...].allSatisfy { $0.peak == 0 }, "a muted packet carried audio across the refreshes")
        let later = Array(peer.events.types[eventsBefore...])
        #expect(!later.contains("callEnded") && !later.contains("unmute"), "\(later)")
        #expect(Set(receiver.received.map(\.ssrc)).count == 1)
    }

    /// softphoned leaves refreshing to the far end (`refresher=uac`): a refresh restarts the
    /// clock; without the next one softphoned sends BYE before the interval runs out, and the
    /// call ends with reason `timeout`, status 408.
    static func farEndStopsRefreshing() async throws {
        let (peer, address) = try await SIPCallTests.startPhone()
        defer { peer.stop() }
        let caller = try RawSIPPeer(target: address)
        defer { caller.stop() }
        let offer = FarOffer(port: try CallRenegotiationTests.freePort(), key: .random(suite: .aesCM128HMACSHA1_80))
        let answered = try await #require(caller.invite(offer.sdp, extra: ["Supported: timer", "Session-Expires: \(interval);refresher=uac"]))
        #expect(answered.status == 200)
        #expect(answered.header("Session-Expires") == "\(interval);refresher=uac" && answered.header("Require") == "timer", "\(answered)")
        let eventsBefore = peer.events.types.count

        try await Task.sleep(for: .seconds(10))
        let refreshed = try await #require(caller.request(method: "UPDATE", extra: ["Supported: timer", "Session-Expires: \(interval);refresher=uac"]))
        #expect(refreshed.status == 200 && refreshed.header("Session-Expires") == "\(interval);refresher=uac", "\(refreshed)")

        let mark = caller.received.count
        let bye = try #require(try await caller.wait(timeout: Double(interval), after: mark) { $0.method == "BYE" }, "no BYE: \(peer.daemon.log)")
        let after = seconds(refreshed.arrival, bye.arrival)
        print("BYE \(after) s after the far end's last refresh (interval \(interval) s)")
        // RFC 4028 §10: before the session expires; the stack sends it at interval − min(32, interval/10).
        #expect(after >= Double(interval - min(32, interval / 10)) - 2 && after < Double(interval), "BYE after \(after) s")
        #expect(bye.header("Reason")?.contains("cause=408") == true, "\(bye)")
        #expect(!caller.received[mark...].contains { $0.method == "UPDATE" || $0.method == "INVITE" }, "softphoned refreshed a session the far end refreshes")
        let ended = try await peer.events.wait(for: "callEnded", after: eventsBefore)
        #expect(ended?["reason"] as? String == "timeout" && ended?["status"] as? Int == 408, "\(String(describing: ended))")
    }
}
