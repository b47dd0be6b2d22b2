import CallControl
import DaemonTestSupport
import Foundation
import MediaCore
import MediaEngine
import Testing

/// The call core's rules, in-process, with real media on loopback.
@Suite(.serialized) struct CallControllerTests {
    @Test func acceptAnswersAndStartsTheMedia() async throws {
        let core = CallCoreHarness()
        let far = try SDESFarEnd()
        let (offer, pending) = far.offer()
        let answer = try await core.calls.accept(sdp: offer)
        // The far end completes its offer with our answer and runs its media.
        try far.start(try SDPNegotiator.complete(pending, withAnswer: answer))
        let media = try #require(core.mediaMade.first)
        #expect(await core.calls.phase == .connected)
        #expect(try await eventually(timeout: .seconds(5), poll: .milliseconds(20)) { media.packetsReceived > 10 && (far.media?.packetsReceived ?? 0) > 10 },
                "media both ways on loopback")
        #expect(core.events.contains { if case .call(.started) = $0 { true } else { false } })
    }

    @Test func reOfferRetargetsTheSameMedia() async throws {
        let core = CallCoreHarness()
        let far = try SDESFarEnd()
        _ = try await core.calls.accept(sdp: far.offer().sdp)
        let media = try #require(core.calls.snapshot.media)
        _ = try await core.calls.accept(sdp: far.offer(direction: .sendonly, version: 2).sdp)
        #expect(await core.calls.summary?.direction == .recvonly)
        _ = try await core.calls.accept(sdp: far.offer(direction: .sendrecv, version: 3).sdp)
        #expect(core.mediaMade.count == 1, "a re-offer never makes new media")
        #expect(core.calls.snapshot.media === media)
        #expect(media.isRunning)
        #expect(core.endReasons.isEmpty)
    }

    @Test func anotherSessionsOfferIsRefused() async throws {
        let core = CallCoreHarness()
        _ = try await core.calls.accept(sdp: try SDESFarEnd().offer().sdp)
        let other = try SDESFarEnd()
        await #expect(throws: CallError.self) { try await core.calls.accept(sdp: other.offer().sdp) }
        do {
            _ = try await core.calls.accept(sdp: other.offer().sdp)
        } catch {
            #expect(error.code == .callAlreadyActive)
        }
        #expect(core.mediaMade.count == 1)
        #expect(await core.calls.phase == .connected)
    }

    @Test func hangupEndsTheCall() async throws {
        let core = CallCoreHarness()
        _ = try await core.calls.accept(sdp: try SDESFarEnd().offer().sdp)
        let media = try #require(core.calls.snapshot.media)
        #expect(await core.calls.hangup())
        #expect(!media.isRunning)
        #expect(await core.calls.phase == .idle)
        #expect(core.calls.snapshot.summary == nil)
        #expect(core.endReasons == [.hangup])
        #expect(core.platform.ended == 1)
        #expect(await !core.calls.hangup(), "nothing left to hang up")
        await #expect(throws: CallError.self) { try await core.calls.dtmf(DTMFDigits("1", durationMs: nil)) }
    }

    @Test(arguments: [false, true]) func muteResetsAtCallEndUnlessItPersists(persist: Bool) async throws {
        let core = CallCoreHarness(muteInitial: false, persistAcrossCalls: persist)
        _ = try await core.calls.accept(sdp: try SDESFarEnd().offer().sdp)
        try core.mute.set(muted: true, source: .local)
        await core.calls.hangup()
        #expect(core.mute.state.muted == persist)
        let reset = core.muteEvents.filter { $0.reason == .callEnded }
        #expect(reset.count == (persist ? 0 : 1))
        if !persist { #expect(reset.first?.change == .unmute) }
    }

    @Test func platformContextReachesTheProfile() async throws {
        let core = CallCoreHarness()
        let context = PlatformCallContext(sessionID: "session-1", conversationID: "conversation-1", participantID: "participant-1")
        _ = try await core.calls.accept(sdp: try SDESFarEnd().offer().sdp, context: context)
        #expect(core.platform.started == [context])
        #expect(await core.calls.summary?.context == context)
        // A refused offer tells the platform nothing.
        _ = try? await core.calls.accept(sdp: try SDESFarEnd().offer().sdp, context: PlatformCallContext(sessionID: "other"))
        #expect(core.platform.started == [context])
    }

    @Test func staticCallStartsConnected() async throws {
        let core = CallCoreHarness()
        let far = try SDESFarEnd()
        let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
        let summary = try await core.calls.start(remote: SocketAddress(host: "127.0.0.1", port: far.local.port), key: key,
                                                 context: PlatformCallContext(sessionID: "static"))
        #expect(summary.suite == .aesCM128HMACSHA1_80)
        #expect(core.platform.started.map(\.sessionID) == ["static"])
        await core.calls.hangup()
        #expect(core.phases == [.connected, .ending, .idle])
    }
}

/// Every `CallState` transition, as `CallEvent.stateChanged` reports it.
@Suite(.serialized) struct CallStateTests {
    @Test func incomingRingsThenConnectsHoldsResumesAndEnds() async throws {
        let core = CallCoreHarness()
        let far = try SDESFarEnd()
        let answer = try await core.calls.prepareAnswer(to: far.offer().sdp)
        #expect(await core.calls.phase == .ringing)
        #expect(core.mediaMade.isEmpty, "no media before the front end says so")
        #expect(core.platform.started.isEmpty)
        _ = try await core.calls.startMedia(answer.id)
        _ = try await core.calls.accept(sdp: far.offer(direction: .inactive, version: 2).sdp)
        _ = try await core.calls.accept(sdp: far.offer(direction: .sendrecv, version: 3).sdp)
        await core.calls.hangup()
        #expect(core.phases == [.ringing, .connected, .held, .connected, .ending, .idle])
    }

    @Test func outgoingCallsThenConnects() async throws {
        let core = CallCoreHarness()
        let far = try SDESFarEnd()
        let offer = try await core.calls.offer(transport: .sdes)
        #expect(await core.calls.phase == .calling)
        let answer = try far.answer(offer.sdp)
        let summary = try await core.calls.answer(sdp: answer)
        #expect(summary.id == offer.id)
        let media = try #require(core.calls.snapshot.media)
        #expect(try await eventually(timeout: .seconds(5), poll: .milliseconds(20)) { media.packetsReceived > 10 })
        await core.calls.hangup()
        #expect(core.phases == [.calling, .connected, .ending, .idle])
    }

    @Test func pendingOfferAndPreparedAnswerCanBeCancelled() async throws {
        let core = CallCoreHarness()
        let offer = try await core.calls.offer(transport: .sdes)
        #expect(await core.calls.cancel(offer.id))
        let answer = try await core.calls.prepareAnswer(to: try SDESFarEnd().offer().sdp)
        #expect(await !core.calls.cancel(offer.id), "an old handle cancels nothing")
        #expect(await core.calls.cancel(answer.id))
        await #expect(throws: CallError.self) { try await core.calls.startMedia(answer.id) }
        #expect(core.phases == [.calling, .idle, .ringing, .idle])
        #expect(core.mediaMade.isEmpty)
    }

    @Test func aBadAnswerLeavesTheOfferPending() async throws {
        let core = CallCoreHarness()
        _ = try await core.calls.offer(transport: .sdes)
        await #expect(throws: CallError.self) { try await core.calls.answer(sdp: "v=0\r\n") }
        #expect(await core.calls.phase == .calling)
    }

    @Test func webRTCOfferPreparesThenCalls() async throws {
        let core = CallCoreHarness()
        let offer = try await core.calls.offer(transport: .webrtc)
        #expect(offer.sdp.contains("a=fingerprint"))
        #expect(await core.calls.cancel(offer.id))
        #expect(core.phases == [.preparing, .calling, .idle])
    }
}
