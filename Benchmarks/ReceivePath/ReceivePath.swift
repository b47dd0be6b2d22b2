import Benchmark
import Fixtures
import MediaCore

// softphoned's receive path as the media thread runs it — `ReceiveLoop.runOnce()`: a
// datagram from the call's loopback UDP socket, RFC 5761 demultiplexing, SRTP/SRTCP
// unprotect with replay protection (AES_CM_128_HMAC_SHA1_80), RTP parse, Opus TOC and the
// jitter buffer — 1000 datagrams per iteration, each sent by the far end's socket first.
//
// `mallocCountTotal` is gated by `Thresholds/`: the flood's count is the proof that refusing
// garbage (the SRTCP failure path included) allocates nothing; the far end's own stream is
// its peer, measured in the same run (libsrtp2 allocates inside `srtp_unprotect`).

let benchmarks: @Sendable () -> Void = {
    let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
    let datagrams = BenchmarkScalingFactor.kilo.rawValue

    Benchmark("ReceiveLoop.runOnce (far end stream)", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: ReceiveLoopFixture) throws in
        try fixture.prepare()
        benchmark.startMeasurement()
        fixture.deliverBatch()
        benchmark.stopMeasurement()
    } setup: {
        try ReceiveLoopFixture(key: key, traffic: .farEnd, count: datagrams)
    }

    Benchmark("ReceiveLoop.runOnce (garbage flood)", configuration: .frames(maxIterations: 40)) { (benchmark: Benchmark, fixture: ReceiveLoopFixture) in
        fixture.deliverBatch()
    } setup: {
        try ReceiveLoopFixture(key: key, traffic: .garbage, count: datagrams)
    }
}
