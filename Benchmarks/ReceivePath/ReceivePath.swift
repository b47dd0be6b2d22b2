import Benchmark
import Fixtures
import MediaCore

// The receive path of softphoned: SRTP unprotect (AES_CM_128_HMAC_SHA1_80) + RTP parse +
// Opus decode of the far end's 20 ms packets. The far end's encoding and protection of
// each batch is done before the measurement starts.

let benchmarks: @Sendable () -> Void = {
    let key = SRTPMasterKey.random(suite: .aesCM128HMACSHA1_80)
    let frames = BenchmarkScalingFactor.kilo.rawValue

    Benchmark("Unprotect+Decode", configuration: .frames(maxIterations: 30)) { (benchmark: Benchmark, fixture: ReceiveFixture) throws in
        try fixture.prepare(count: frames)
        benchmark.startMeasurement()
        blackHole(try fixture.receiveAll())
        benchmark.stopMeasurement()
    } setup: {
        try ReceiveFixture(key: key, capacity: frames)
    }
}
