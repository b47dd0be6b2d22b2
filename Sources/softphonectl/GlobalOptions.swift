import ArgumentParser
import ControlProtocol

/// Options every command accepts, before or after the command name.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The daemon's control socket.",
        discussion: "Default: $\(ControlSocketPath.environmentVariable), else $XDG_RUNTIME_DIR/softphoned/control.sock (root: /run/softphoned/control.sock).",
        valueName: "path"))
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's raw JSON result instead of a summary.")
    var json = false

    var socketPath: String {
        socket ?? ControlSocketPath.clientPath()
    }

    func connect() throws(ClientError) -> ControlClient {
        try ControlClient(path: socketPath)
    }
}
