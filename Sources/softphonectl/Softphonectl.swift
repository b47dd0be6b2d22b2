import ArgumentParser
import ControlProtocol
import Foundation

/// `softphonectl`: the command line client of softphoned's control socket.
struct Softphonectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softphonectl",
        abstract: "Control a running softphoned: mute, status, events, calls.",
        discussion: """
            Exit status: 0 success, 1 the daemon answered with an error, 2 usage error, \
            3 cannot connect to the daemon.
            """,
        subcommands: [
            MuteCommand.self, UnmuteCommand.self, ToggleCommand.self, StatusCommand.self,
            EventsCommand.self, CallCommand.self, DialCommand.self, AnswerCommand.self, RejectCommand.self,
            HangupCommand.self, HoldCommand.self, ResumeCommand.self, DTMFCommand.self, LoginCommand.self, SetTokenCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions
}

struct MuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mute", abstract: "Mute the microphone (or pre-mute the next call).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "How to mute: silence (RTP keeps flowing) or disable (no RTP while muted).")
    var mode: MuteMode?

    func run() throws {
        let params = mode.map { JSONValue.object(["mode": .string($0.rawValue)]) }
        let result = try global.connect().call(.mute, params: params)
        Output.status(result, json: global.json, brief: true)
    }
}

struct DTMFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dtmf", abstract: "Send DTMF digits to the far end (RFC 4733), e.g. 123#.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The digits: 0-9, *, #, A-D.")
    var digits: String

    @Option(help: "How long each digit sounds, 40...2000 ms (default 100).")
    var durationMs: Int?

    func run() throws {
        let params = try JSONValue(encoding: DTMFParams(digits: digits, durationMs: durationMs))
        let result = try global.connect().call(.callDTMF, params: params)
        if global.json {
            Output.json(result)
        } else {
            print("queued \(result["queued"]?.intValue ?? 0) digit(s)")
        }
    }
}

struct UnmuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unmute", abstract: "Unmute the microphone.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.connect().call(.unmute)
        Output.status(result, json: global.json, brief: true)
    }
}

struct ToggleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "toggle", abstract: "Mute if live, unmute if muted.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.connect().call(.toggle)
        Output.status(result, json: global.json, brief: true)
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show mute state, call, signaling and media counters.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.connect().call(.status)
        Output.status(result, json: global.json, brief: false)
    }
}

extension MuteMode: ExpressibleByArgument {}
