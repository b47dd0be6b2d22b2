import ArgumentParser
import ControlProtocol
import Foundation

struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Start, negotiate and end calls.",
        subcommands: [Start.self, Offer.self, Answer.self, Accept.self, Hangup.self])

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a call to a static peer with pre-shared SRTP keys.")

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The far end.", valueName: "host:port"))
        var remote: String

        @Option(help: "SRTP suite.")
        var suite = "AES_CM_128_HMAC_SHA1_80"

        @Option(help: ArgumentHelp("SRTP key, RFC 4568 form (visible in the process list: prefer --key-file).", valueName: "inline:..."))
        var key: String?

        @Option(help: ArgumentHelp("Read the SRTP key from this file ('-' for stdin).", valueName: "file"))
        var keyFile: String?

        @Option(help: "Local UDP port (0 or absent: any).")
        var localPort: Int?

        @Option(help: "The platform's session id (skips session discovery).")
        var sessionId: String?

        func validate() throws {
            guard (key == nil) != (keyFile == nil) else {
                throw ValidationError("give the SRTP key with exactly one of --key or --key-file")
            }
            if let localPort, !(0...65535).contains(localPort) {
                throw ValidationError("--local-port must be 0...65535")
            }
        }

        func run() throws {
            let keyText = try key ?? readInput(keyFile!).trimmingCharacters(in: .whitespacesAndNewlines)
            let params = CallStartParams(
                remote: remote, srtp: SRTPParams(suite: suite, key: keyText),
                localPort: localPort, sessionId: sessionId)
            let result = try global.connect().call(.callStart, params: try JSONValue(encoding: params))
            Output.call(result, json: global.json)
        }
    }

    struct Offer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an SDP offer; prints it.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "sdes (RTP/SAVP with a=crypto) or webrtc (ICE and DTLS-SRTP); default: the daemon's call.transport.")
        var transport: String?

        func run() throws {
            let result = try global.connect().call(.callOffer, params: try JSONValue(encoding: OfferParams(transport: transport)))
            Output.sdp(result, json: global.json)
        }
    }

    struct Answer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the far end's SDP answer to our offer; starts the call.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var sdp: SDPInput

        func run() throws {
            let result = try global.connect().call(.callAnswer, params: try sdp.params())
            Output.call(result, json: global.json)
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept the far end's SDP offer; prints our answer and starts the call.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var sdp: SDPInput

        func run() throws {
            let result = try global.connect().call(.callAccept, params: try sdp.params())
            Output.sdp(result, json: global.json)
        }
    }

    struct Hangup: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End the call.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let result = try global.connect().call(.callHangup)
            if global.json {
                Output.json(result)
            } else {
                print("call ended")
            }
        }
    }
}

/// Reads a whole file, or stdin for `-`; a missing file is a usage error.
func readInput(_ path: String) throws -> String {
    let data: Data?
    if path == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        data = FileManager.default.contents(atPath: path)
    }
    guard let data, let text = String(data: data, encoding: .utf8) else {
        throw ValidationError("cannot read \(path == "-" ? "stdin" : path) as UTF-8 text")
    }
    return text
}

/// The SDP text (`--sdp-file`, `-` for stdin) and session id that `call answer` and
/// `call accept` take.
struct SDPInput: ParsableArguments {
    @Option(help: ArgumentHelp("The far end's SDP ('-' for stdin).", valueName: "file"))
    var sdpFile: String

    @Option(help: "The platform's session id (skips session discovery).")
    var sessionId: String?

    func params() throws -> JSONValue {
        try JSONValue(encoding: SDPParams(sdp: try readInput(sdpFile), sessionId: sessionId))
    }
}
