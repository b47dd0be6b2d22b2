import Benchmark
import Fixtures
import MediaCore
import MediaEngine

// The send path of softphoned, 1000 frames of 20 ms per iteration, on the default settings
// of SPEC §2 (Opus 32 kb/s, complexity 9, FEC; SRTP AES_CM_128_HMAC_SHA1_80).
//
// `mallocCountTotal` is gated by `Thresholds/`; the time figures depend on the machine and
// are only reported.

let benchmarks: @Sendable () -> Void = {
    let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)

    // Capture → Opus → RTP → SRTP for a talking microphone (a 440 Hz tone at −12 dBFS).
    Benchmark("Encode+Packetize+Protect", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: SendFixture) throws in
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.sender.send(fixture.nextToneFrame()))
        }
    } setup: {
        try SendFixture(key: key)
    }

    // The same on a muted line in `silence` mode: the gate hands the encoder digital silence.
    Benchmark("Encode+Packetize+Protect (muted)", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: SendFixture) throws in
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.sender.send(fixture.silence))
        }
    } setup: {
        try SendFixture(key: key)
    }

    // Opus + RTP without SRTP: softphoned's own code and libopus, which allocate nothing.
    Benchmark("Encode+Packetize", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: SendFixture) throws in
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.sender.packetize(fixture.nextToneFrame()))
        }
    } setup: {
        try SendFixture(key: key)
    }

    // RTP header + SRTP protect of an 80-byte payload (32 kb/s × 20 ms), without the codec.
    Benchmark("Packetize+Protect", configuration: .frames(maxIterations: 1_000)) { (benchmark: Benchmark, fixture: SendFixture) throws in
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.sender.packetizeAndProtect(payloadLength: 80))
        }
    } setup: {
        let fixture = try SendFixture(key: key)
        fixture.sender.payload.initializeMemory(as: UInt8.self, repeating: 0x5A)
        return fixture
    }
}
