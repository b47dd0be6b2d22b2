import Benchmark

extension Benchmark.Configuration {
    /// The configuration of the per-frame benchmarks: 1000 frames (20 s of audio) per
    /// iteration, which is long enough for the CPU-time counters (10 ms ticks) to mean
    /// something; the starred figures in the output are per frame.
    ///
    /// Wall clock and CPU time are reported only: they depend on the machine. The
    /// allocation count is gated by `Thresholds/`, with a tolerance far below one
    /// allocation per frame (which would add 1000 per iteration).
    /// - Parameters:
    ///   - maxIterations: iterations per run; `maxDuration` caps a slow or loaded machine.
    public static func frames(maxIterations: Int) -> Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
            timeUnits: .microseconds,
            warmupIterations: 2,
            scalingFactor: .kilo,
            maxDuration: .seconds(4),
            maxIterations: maxIterations,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 100])]
        )
    }
}
