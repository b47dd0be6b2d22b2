import DaemonTestSupport
import ControlProtocol
import Testing

@testable import ControlServer

@Suite("EventBus")
struct EventBusTests {
    @Test func seqIsGlobalAndConsecutive() async {
        let bus = EventBus(capacity: 8)
        let first = bus.publish(type: .mute, fields: ["muted": true])
        let second = bus.publish(type: .unmute)
        #expect(first.seq == 1 && second.seq == 2)
        #expect(bus.lastSeq == 2)
        #expect(first.fields["muted"] == .bool(true))
    }

    @Test func reservedFieldsCannotOverrideTheEnvelope() {
        let bus = EventBus()
        let event = bus.publish(type: .mute, fields: ["seq": 99, "type": "x", "at": "never"])
        #expect(event.seq == 1 && event.type == .mute && event.at != "never")
    }

    @Test func subscriberReceivesInOrderAndFilterApplies() async {
        let bus = EventBus(capacity: 8)
        let all = bus.subscribe()
        let onlyMute = bus.subscribe(events: [.mute])
        bus.publish(type: .mute)
        bus.publish(type: .unmute)
        bus.publish(type: .mute)
        #expect(await all.next()?.seq == 1)
        #expect(await all.next()?.seq == 2)
        #expect(await all.next()?.seq == 3)
        #expect(await onlyMute.next()?.seq == 1)
        #expect(await onlyMute.next()?.seq == 3)
    }

    @Test func overflowDropsOnlyTheSlowSubscriberWithAFinalNotice() async {
        let bus = EventBus(capacity: 4)
        let slow = bus.subscribe()
        let fast = bus.subscribe()
        for _ in 0..<10 {
            bus.publish(type: .speakingWhileMuted)
            #expect(await fast.next() != nil)
        }
        #expect(bus.subscriberCount == 1)
        var received: [ControlEvent] = []
        while let event = await slow.next() { received.append(event) }
        #expect(received.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(received.last?.type == .subscriptionLost)
        #expect(received.dropLast().allSatisfy { $0.type == .speakingWhileMuted })
    }

    @Test func waitingSubscriberIsWokenAndCancellationEndsIt() async throws {
        let bus = EventBus()
        let subscription = bus.subscribe()
        let waiter = Task { await subscription.next() }
        #expect(try await eventually(timeout: .seconds(20)) { bus.subscriberCount == 1 })
        bus.publish(type: .callStarted)
        #expect(await waiter.value?.type == .callStarted)

        let cancelled = Task { await subscription.next() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        #expect(bus.subscriberCount == 0)
    }
}
