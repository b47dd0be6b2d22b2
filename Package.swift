// swift-tools-version: 6.2
import PackageDescription

/// sofia-sip's headers live under a versioned directory; the module map cannot name it, and
/// pkg-config would also link the library too early (see CSofiaSIP/module.modulemap).
let sofiaHeaders: SwiftSetting = .unsafeFlags(["-Xcc", "-I/usr/include/sofia-sip-1.12"])
/// Linked by the executables themselves, after libnice (autolinked through CNice): both export
/// `stun_message_length`, and the first in DT_NEEDED wins libnice's own calls.
let sofiaLibrary: LinkerSetting = .linkedLibrary("sofia-sip-ua")

let package = Package(
    name: "softphoned",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "softphoned", targets: ["softphoned"]),
        .executable(name: "softphonectl", targets: ["softphonectl"]),
        .executable(name: "softphone-api-emulator", targets: ["softphone-api-emulator"]),
        .library(name: "MediaCore", targets: ["MediaCore"]),
        .library(name: "MediaEngine", targets: ["MediaEngine"]),
        .library(name: "ControlProtocol", targets: ["ControlProtocol"]),
        .library(name: "CallControl", targets: ["CallControl"]),
        .library(name: "SoftphoneDaemon", targets: ["SoftphoneDaemon"]),
        .library(name: "SoftphoneDemo", targets: ["SoftphoneDemo"]),
        .library(name: "MediaTestSupport", targets: ["MediaTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
    ],
    targets: [
        // C libraries, linked from the system (Debian's -dev packages).
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        // DTLS-SRTP (OpenSSL 3.0) and ICE (libnice on GLib) for the WebRTC transport.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CNice", pkgConfig: "nice", providers: [.apt(["libnice-dev"])]),
        // The codecs a PBX expects (G.711, G.722, with packet loss concealment) and the
        // resampler between them and the 48 kHz capture and playback.
        .systemLibrary(name: "CSpanDSP", pkgConfig: "spandsp", providers: [.apt(["libspandsp-dev"])]),
        .systemLibrary(name: "CSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        // The SIP stack (sofia-sip's NUA). No pkgConfig: see `sofiaLibrary` above.
        .systemLibrary(name: "CSofiaSIP", providers: [.apt(["libsofia-sip-ua-dev"])]),
        // glibc's Linux-only thread calls (names, thread ids) for the media threads.
        .systemLibrary(name: "CPOSIX"),

        // Pure Swift: RTP/RTCP, SDP, keys, WAV, the mute state machine, jitter buffer logic.
        .target(name: "MediaCore"),
        // Owns every C handle and the media thread.
        .target(name: "MediaEngine", dependencies: [
            "MediaCore", "COpus", "CSRTP", "CALSA", "CPOSIX", "COpenSSL", "CNice", "CSpanDSP", "CSpeexDSP",
        ]),
        // JSON-RPC 2.0 types shared by the daemon and its clients.
        .target(name: "ControlProtocol"),
        // The Unix-socket JSON-RPC server, peer credentials, event fan-out.
        .target(name: "ControlServer", dependencies: [
            "ControlProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Platform mute sync (not call signaling): the platform's view of the agent's mute state,
        // profiles `sessions` (token cache, session discovery, publisher, watcher) and `genesys`.
        .target(name: "PlatformSync", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "WSClient", package: "swift-websocket"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The project's own emulator of the platform's REST contract.
        .target(name: "SessionAPIEmulator", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Many agents' genesys clients against one emulator, in one process (fleet figures).
        .target(name: "FleetSimulation", dependencies: [
            "PlatformSync", "SessionAPIEmulator",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "softphone-fleet-sim", dependencies: [
            "FleetSimulation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // sd_notify, socket activation, journal-friendly logging.
        .target(name: "SystemdSupport", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The call core: calls in one state, typed events, CallError, the mute owner. No wire
        // protocol: the control socket (and a SIP user agent) are front ends of it.
        .target(name: "CallControl", dependencies: [
            "MediaCore", "MediaEngine",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The SIP user agent: a front end of the call core, as the control socket is.
        .target(name: "SIPPhone", dependencies: [
            "CallControl", "MediaCore", "CSofiaSIP",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SoftphoneDaemon", dependencies: [
            "MediaCore", "MediaEngine", "CallControl", "ControlProtocol", "ControlServer",
            "PlatformSync", "SystemdSupport", "SIPPhone",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // `softphoned --demo`: the script, the in-process far end, the browser page's server
        // (the only HTTP server the daemon's binary carries) and the emulator launcher.
        .target(name: "SoftphoneDemo", dependencies: [
            "SoftphoneDaemon", "MediaCore", "MediaEngine", "ControlProtocol", "ControlServer", "PlatformSync", "SIPPhone", "CallControl",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Daemon-level helpers for tests: the control-socket client, the process runner
        // (ExternalProcess, posix_spawn) and `eventually`, one of each for every suite.
        .target(name: "DaemonTestSupport", dependencies: ["ControlProtocol"]),
        // Far-end receivers, tone analysis and media peers for tests.
        .target(name: "MediaTestSupport", dependencies: ["MediaCore", "MediaEngine", "DaemonTestSupport"]),
        // SIP far ends for tests: kamailio (registrar/proxy), baresip and linphonec, started by the tests.
        .target(name: "SIPTestPeers", dependencies: ["MediaTestSupport", "DaemonTestSupport", "MediaCore"]),

        .executableTarget(name: "softphoned", dependencies: [
            "SoftphoneDaemon", "SoftphoneDemo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "softphonectl", dependencies: [
            "ControlProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "softphone-api-emulator", dependencies: [
            "SessionAPIEmulator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),

        // Fuzz targets (Fuzz/README.md): each executable runs under libFuzzer when built by
        // `make fuzz` (-sanitize=fuzzer,address -DFUZZING) and replays saved inputs otherwise.
        // One module per dependency closure: libFuzzer scans every coverage counter linked
        // into a fuzzer after each input, so fuzz-sdp and fuzz-media link only the media
        // modules, not the daemon's HTTP/TLS/NIO stack (630 000 counters before the split).
        .target(name: "FuzzTargets", dependencies: ["MediaCore", "MediaEngine"], path: "Fuzz/Sources/FuzzTargets"),
        .target(name: "FuzzControlTarget", dependencies: [
            "FuzzTargets", "MediaCore", "MediaEngine", "ControlProtocol", "ControlServer",
        ], path: "Fuzz/Sources/FuzzControlTarget"),
        .target(name: "FuzzConfigTarget", dependencies: [
            "FuzzTargets", "MediaCore", "SoftphoneDaemon",
        ], path: "Fuzz/Sources/FuzzConfigTarget"),
        .target(name: "FuzzSIPTarget", dependencies: ["FuzzTargets", "SIPPhone"], path: "Fuzz/Sources/FuzzSIPTarget"),
        .executableTarget(name: "fuzz-sip", dependencies: ["FuzzTargets", "FuzzSIPTarget"], path: "Fuzz/Sources/fuzz-sip"),
        .executableTarget(name: "fuzz-sdp", dependencies: ["FuzzTargets"], path: "Fuzz/Sources/fuzz-sdp"),
        .executableTarget(name: "fuzz-control", dependencies: ["FuzzTargets", "FuzzControlTarget"], path: "Fuzz/Sources/fuzz-control"),
        .executableTarget(name: "fuzz-media", dependencies: ["FuzzTargets"], path: "Fuzz/Sources/fuzz-media"),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzTargets", "FuzzConfigTarget"], path: "Fuzz/Sources/fuzz-config"),

        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "FuzzControlTarget", "FuzzConfigTarget", "FuzzSIPTarget"]),
        .testTarget(name: "MediaEngineTests", dependencies: ["MediaEngine", "MediaTestSupport", "DaemonTestSupport"]),
        .testTarget(name: "CallControlTests", dependencies: [
            "CallControl", "MediaCore", "MediaEngine", "MediaTestSupport", "DaemonTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ControlServerTests", dependencies: ["ControlServer", "ControlProtocol", "DaemonTestSupport"]),
        .testTarget(name: "PlatformSyncTests", dependencies: [
            "PlatformSync", "SessionAPIEmulator", "FleetSimulation", "DaemonTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SystemdSupportTests", dependencies: [
            "SystemdSupport", "DaemonTestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "SIPPhoneTests", dependencies: [
            "SIPPhone", "CallControl", "MediaCore", "MediaEngine", "DaemonTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SIPPeersTests", dependencies: ["SIPTestPeers", "MediaTestSupport", "DaemonTestSupport", "MediaCore"]),
        .testTarget(name: "SoftphoneDaemonTests", dependencies: [
            "SoftphoneDaemon", "MediaTestSupport", "DaemonTestSupport", "ControlProtocol", "SessionAPIEmulator", "MediaCore",
            "MediaEngine", "SIPTestPeers",
        ]),
    ]
)

// Shared settings for every Swift target, as in swift-nio and swift-log.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    // Any module may load SIPPhone's, which names CSofiaSIP.
    settings.append(sofiaHeaders)
    target.swiftSettings = settings
}

// The programs that carry the SIP stack link sofia themselves (see `sofiaLibrary`).
for target in package.targets where ["softphoned", "fuzz-config", "fuzz-sip"].contains(target.name) || target.type == .test {
    target.linkerSettings = (target.linkerSettings ?? []) + [sofiaLibrary]
}
