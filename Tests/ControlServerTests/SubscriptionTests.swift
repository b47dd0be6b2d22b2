import DaemonTestSupport
import ControlProtocol
import Foundation
import Testing

@testable import ControlServer

@Suite("ControlServer: subscriptions and events")
struct SubscriptionTests {
    @Test func eventNotificationHasTheDocumentedShape() async throws {
        try await withServer { path, _, _ in
            let listener = try ControlClient(path: path, timeout: .seconds(20))
            let subscribed = try await listener.request("subscribe").get().decode(as: SubscribeResult.self)
            #expect(subscribed.subscribed.contains("remoteMute"))
            #expect(!subscribed.subscribed.contains("subscriptionLost"))

            let actor = try ControlClient(path: path, timeout: .seconds(20))
            _ = try await actor.request("mute")
            let line = try #require(try await listener.readLine())
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["jsonrpc"] as? String == "2.0")
            #expect(object["method"] as? String == "event")
            #expect(object["id"] == nil)
            let params = try #require(object["params"] as? [String: Any])
            #expect(params["type"] as? String == "mute")
            #expect(params["muted"] as? Bool == true)
            #expect(params["source"] as? String == "local")
            #expect(params["seq"] as? Int == 1)
            #expect(line.contains(#""seq":1,"#) || line.contains(#""seq":1}"#))
            let at = try #require(params["at"] as? String)
            #expect(at.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        }
    }

    @Test func filterDeliversOnlyRequestedTypesAndRepliesFirst() async throws {
        try await withServer { path, _, handler in
            let listener = try ControlClient(path: path, timeout: .seconds(20))
            // Events published before the reply is read still come after it.
            try await listener.send(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"events":["unmute"]}}"# + "\n")
            #expect(try await eventually(timeout: .seconds(20)) { handler.bus.subscriberCount == 1 })
            handler.bus.publish(type: .unmute, fields: ["muted": false])
            guard case .response(let response) = try await listener.readMessage() else {
                Issue.record("the subscribe reply must come before events")
                return
            }
            #expect(try response.get().decode(as: SubscribeResult.self).subscribed == ["unmute"])
            #expect(try await listener.readEvent().type == .unmute)

            let actor = try ControlClient(path: path, timeout: .seconds(20))
            _ = try await actor.request("mute")
            _ = try await actor.request("unmute")
            let event = try await listener.readEvent()
            #expect(event.type == .unmute)
            #expect(event.seq == 3)  // 1: the first unmute, 2: mute (filtered out), 3: unmute
        }
    }

    @Test func everySubscriberSeesTheSameGlobalOrder() async throws {
        try await withServer { path, _, handler in
            var listeners: [ControlClient] = []
            for _ in 0..<4 {
                let listener = try ControlClient(path: path, timeout: .seconds(20))
                _ = try await listener.request("subscribe")
                listeners.append(listener)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        for _ in 0..<25 {
                            handler.bus.publish(type: index % 2 == 0 ? .mute : .unmute, fields: ["from": .number(Double(index))])
                        }
                    }
                }
                try await group.waitForAll()
            }
            var orders: [[UInt64]] = []
            for listener in listeners {
                var seqs: [UInt64] = []
                for _ in 0..<100 { seqs.append(try await listener.readEvent().seq) }
                orders.append(seqs)
            }
            #expect(orders.allSatisfy { $0 == Array(1...100) })
        }
    }

    @Test func stalledSubscriberIsDroppedWhileOthersKeepEveryEvent() async throws {
        try await withServer(capacity: 64) { path, _, handler in
            let bus = handler.bus
            let healthy = try ControlClient(path: path, timeout: .seconds(20))
            _ = try await healthy.request("subscribe")
            let stalled = try ControlClient(path: path, timeout: .seconds(20))
            _ = try await stalled.request("subscribe")
            #expect(bus.subscriberCount == 2)

            // Publish in batches the healthy subscriber reads completely; the stalled one never
            // reads, so its socket, the server's write buffer and then its queue fill up.
            var expected: UInt64 = 1
            while bus.subscriberCount == 2 && expected < 200_000 {
                for _ in 0..<32 { bus.publish(type: .speakingWhileMuted) }
                for _ in 0..<32 {
                    let event = try await healthy.readEvent()
                    #expect(event.seq == expected)
                    if event.seq != expected { return }
                    expected += 1
                }
            }
            #expect(bus.subscriberCount == 1, "the stalled subscriber should have been dropped")

            // The healthy subscriber is unaffected.
            for _ in 0..<10 { bus.publish(type: .mute) }
            for _ in 0..<10 {
                #expect(try await healthy.readEvent().seq == expected)
                expected += 1
            }

            // The stalled one, reading at last, finds an unbroken prefix and then subscriptionLost.
            var previous: UInt64 = 0
            var lost: ControlEvent?
            while lost == nil {
                let event = try await stalled.readEvent()
                if event.type == .subscriptionLost {
                    lost = event
                } else {
                    #expect(event.seq == previous + 1)
                    previous = event.seq
                }
            }
            #expect(lost?.seq == previous + 1)
            #expect(lost?.fields["reason"]?.stringValue?.contains("slow") == true)
            // It can subscribe again on the same connection.
            _ = try await stalled.request("subscribe")
            bus.publish(type: .unmute)
            #expect(try await stalled.readEvent().seq == expected)
        }
    }

    @Test func unsubscribingByDisconnectFreesTheSubscriber() async throws {
        try await withServer { path, _, handler in
            do {
                let listener = try ControlClient(path: path, timeout: .seconds(20))
                _ = try await listener.request("subscribe")
                #expect(handler.bus.subscriberCount == 1)
            }
            #expect(try await eventually(timeout: .seconds(20)) { handler.bus.subscriberCount == 0 })
            #expect(handler.bus.subscriberCount == 0)
        }
    }
}

