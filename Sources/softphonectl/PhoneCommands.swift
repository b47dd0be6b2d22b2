import ArgumentParser
import ControlProtocol
import Foundation

// The phone's verbs (SPEC §4, §5c): `dial`, `answer`, `reject`, `hangup`, `hold`, `resume`.

struct DialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dial", abstract: "Call a SIP URI, or a user or number at the registrar's domain.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "sip:user@host, or a number such as 1002.")
    var uri: String

    func run() throws {
        let result = try global.connect().call(.callDial, params: try JSONValue(encoding: DialParams(uri: uri)))
        Output.call(result, json: global.json)
    }
}

struct AnswerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "answer", abstract: "Answer the ringing call.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.connect().call(.callAccept, params: .object([:]))
        Output.call(result, json: global.json)
    }
}

struct RejectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Refuse the ringing call: 486 Busy Here (default) or 603 Decline.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "486 or 603.")
    var code: Int = 486

    func run() throws {
        let result = try global.connect().call(.callReject, params: try JSONValue(encoding: RejectParams(code: code)))
        if global.json { Output.json(result) } else { print("rejected (\(code))") }
    }
}

struct HangupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hangup", abstract: "End the call (BYE; CANCEL or 603 before it is answered).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.connect().call(.callHangup)
        if global.json { Output.json(result) } else { print("call ended") }
    }
}

struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Put the call on hold (re-INVITE sendonly).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        Output.call(try global.connect().call(.callHold), json: global.json)
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Take the call off hold (re-INVITE sendrecv).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        Output.call(try global.connect().call(.callResume), json: global.json)
    }
}
