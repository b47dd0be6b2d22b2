import ArgumentParser
import Foundation
import Logging
import SoftphoneDaemon
import SoftphoneDemo
import SystemdSupport

/// The softphoned daemon's command line.
@main
struct SoftphonedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softphoned",
        abstract: "Media daemon for contact-centre agents: microphone → Opus → SRTP, with reliable mute.",
        discussion: """
            Configuration comes from a YAML file (--config, default $XDG_CONFIG_HOME/softphoned/softphoned.yaml \
            or /etc/softphoned/softphoned.yaml for root) overridden key by key by SOFTPHONED_<KEY> variables.
            Exit status: 0 stopped cleanly, 1 failed while running, 78 invalid configuration.
            """)

    @Option(name: .long, help: "The YAML configuration file.")
    var config: String?

    @Flag(name: .long, help: "Run the self-contained demo: a whole call on this machine, no sound card or cloud account needed.")
    var demo = false

    @Option(name: .long, help: "With --demo: stop after this many seconds (default: run until Ctrl-C).")
    var duration: Double?

    @Option(name: .long, help: "With --demo: the platform to emulate, genesys (default) or sessions.")
    var profile: String = "genesys"

    @Option(name: .customLong("demo-http-port"), help: "With --demo: the port of the browser page on 127.0.0.1 (0: any free port).")
    var demoHTTPPort: Int = DemoRunner.defaultHTTPPort

    @Flag(name: .customLong("demo-script"), inversion: .prefixedNo,
          help: "With --demo: run the scripted mutes and the supervisor's mute (default), or leave mute to softphonectl.")
    var demoScript = true

    @Flag(name: .long, help: "Print the effective configuration (secrets redacted) and exit.")
    var printConfig = false

    func run() async throws {
        if demo {
            SoftphoneLogging.bootstrap(level: .warning)
            guard let kind = DemoRunner.Profile(rawValue: profile) else {
                FileHandle.standardError.write(Data("softphoned: --profile must be genesys or sessions\n".utf8))
                throw ExitCode(2)
            }
            guard (0...65_535).contains(demoHTTPPort) else {
                FileHandle.standardError.write(Data("softphoned: --demo-http-port must be 0…65535\n".utf8))
                throw ExitCode(2)
            }
            do {
                try await DemoRunner(duration: duration, profile: kind, httpPort: demoHTTPPort, scripted: demoScript).run()
            } catch {
                FileHandle.standardError.write(Data("softphoned: demo failed: \(error)\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        let configuration: DaemonConfiguration
        do {
            configuration = try await ConfigurationLoader.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("softphoned: \(error)\n".utf8))
            throw ExitCode(78)
        }
        if printConfig {
            print(configuration.dump())
            return
        }
        SoftphoneLogging.bootstrap(level: Logger.Level(rawValue: configuration.logLevel.rawValue) ?? .info)
        let logger = Logger(label: "softphoned")
        do {
            let daemon = try Daemon(configuration: configuration, configPath: config)
            logger.info("softphoned starting", metadata: ["socket": "\(daemon.socketPath ?? "inherited from systemd")"])
            try await daemon.run()
            logger.info("softphoned stopped")
        } catch let error as ConfigurationError {
            logger.critical("invalid configuration", metadata: ["error": "\(error)"])
            throw ExitCode(78)
        } catch {
            logger.critical("softphoned failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
