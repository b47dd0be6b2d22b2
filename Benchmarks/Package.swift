// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "softphoned-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "softphoned", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Signals and send/receive paths the benchmarks share; set up outside the measured region.
        .target(
            name: "Fixtures",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MediaCore", package: "softphoned"),
                .product(name: "MediaEngine", package: "softphoned"),
            ],
            path: "Fixtures"
        ),
        .executableTarget(
            name: "FramePipeline",
            dependencies: [
                "Fixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MediaCore", package: "softphoned"),
                .product(name: "MediaEngine", package: "softphoned"),
            ],
            path: "FramePipeline",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReceivePath",
            dependencies: [
                "Fixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MediaCore", package: "softphoned"),
                .product(name: "MediaEngine", package: "softphoned"),
            ],
            path: "ReceivePath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The control plane against a real daemon in this process: mute latency on the wire,
        // `status` round trips with 64 clients. Wall clock only, so `make bench-gate` skips it.
        .executableTarget(
            name: "ControlPlane",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MediaCore", package: "softphoned"),
                .product(name: "MediaEngine", package: "softphoned"),
                .product(name: "SoftphoneDaemon", package: "softphoned"),
            ],
            path: "ControlPlane",
            // The daemon carries the SIP stack: sofia-sip is linked by the program, after
            // libnice, as softphoned does (see the main Package.swift).
            linkerSettings: [.linkedLibrary("sofia-sip-ua")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
