import Benchmark
import Fixtures
import MediaCore
import MediaEngine

// softphoned's send path as the media thread runs it — `SendLoop.runFrame()`: tone capture,
// command queue, mute gate, Opus (32 kb/s, complexity 9, FEC), RTP, SRTP
// (AES_CM_128_HMAC_SHA1_80) and `sendto` on loopback — 1000 frames of 20 ms per iteration.
//
// `mallocCountTotal` is gated by `Thresholds/`; the time figures depend on the machine and
// are only reported. libsrtp2's own allocations inside `srtp_protect` are measured alone by
// "SRTP protect (libsrtp2)"; the send path's count is that and nothing of ours.

let benchmarks: @Sendable () -> Void = {
    let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)

    // A talking microphone: every frame encoded, protected and sent.
    Benchmark("SendLoop.runFrame", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: SendLoopFixture) in
        for _ in benchmark.scaledIterations { fixture.loop.runFrame() }
    } setup: {
        try SendLoopFixture(key: key)
    }

    // Muted in `silence` mode: the gate zeroes the frame, Opus encodes CELT silence, RTP flows.
    Benchmark("SendLoop.runFrame (muted, silence)", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: SendLoopFixture) in
        for _ in benchmark.scaledIterations { fixture.loop.runFrame() }
    } setup: {
        try SendLoopFixture(key: key, mute: .silence)
    }

    // Muted in `disable` mode: no RTP, so no SRTP — softphoned's own code alone.
    Benchmark("SendLoop.runFrame (muted, disable)", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: SendLoopFixture) in
        for _ in benchmark.scaledIterations { fixture.loop.runFrame() }
    } setup: {
        try SendLoopFixture(key: key, mute: .disable)
    }

    // The codecs a PBX expects: speexdsp resamples the frame to 8 or 16 kHz, spandsp encodes
    // it. Peers of the Opus figure above, measured in the same run.
    for codec in [AudioCodec.pcmu, .pcma, .g722] {
        Benchmark("SendLoop.runFrame (\(codec.encodingName))", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: SendLoopFixture) in
            for _ in benchmark.scaledIterations { fixture.loop.runFrame() }
        } setup: {
            try SendLoopFixture(key: key, codec: codec)
        }
    }

    // The same path over WebRTC: each packet through `nice_agent_send` on a connected ICE pair.
    Benchmark("SendLoop.runFrame (WebRTC)", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: WebRTCSendFixture) in
        for _ in benchmark.scaledIterations { fixture.loop.runFrame() }
    } setup: {
        try WebRTCSendFixture(key: key)
    }

    // The same with nobody receiving in this process: the send path's own count.
    Benchmark("SendLoop.runFrame (WebRTC, send only)", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: WebRTCSendFixture) in
        for _ in benchmark.scaledIterations { fixture.loop.runFrame() }
    } setup: {
        try WebRTCSendFixture(key: key, receiving: false)
    }

    // libsrtp2 alone: protecting an 80-byte payload (32 kb/s × 20 ms) in place, 1000 times.
    Benchmark("SRTP protect (libsrtp2)", configuration: .frames(maxIterations: 200)) { (benchmark: Benchmark, fixture: SRTPProtectFixture) throws in
        for _ in benchmark.scaledIterations { blackHole(try fixture.protectNext()) }
    } setup: {
        try SRTPProtectFixture(key: key)
    }
}
