import ArgumentParser
import ControlProtocol
import Foundation

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the daemon's events.",
        discussion: """
            Without --follow, prints the events that arrive within --wait seconds (default 1) and \
            exits. With --follow, prints events until interrupted; if the daemon drops the \
            subscription because events were read too slowly, a note goes to stderr and the \
            subscription is renewed. With --json, each event is printed as one JSON object per line.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Keep printing events until interrupted.")
    var follow = false

    @Option(name: .customLong("type"), help: ArgumentHelp(
        "Only this event type (repeatable): \(ControlEventType.allCases.filter { $0 != .subscriptionLost }.map(\.rawValue).joined(separator: ", ")).",
        valueName: "name"))
    var types: [String] = []

    @Option(help: "Without --follow: how long to wait for events, in seconds.")
    var wait: Double = 1

    func validate() throws {
        let unknown = types.filter { ControlEventType(rawValue: $0) == nil }
        if !unknown.isEmpty {
            throw ValidationError("unknown event type(s): \(unknown.joined(separator: ", "))")
        }
        if !(wait >= 0) {
            throw ValidationError("--wait must be a number of seconds, 0 or more")
        }
    }

    func run() throws {
        let client = try global.connect()
        let params: JSONValue? = types.isEmpty ? nil : .object(["events": .array(types.map { .string($0) })])
        _ = try client.call(.subscribe, params: params)
        let deadline = Date().addingTimeInterval(wait)
        while true {
            let timeout = follow ? nil : max(0, deadline.timeIntervalSinceNow)
            guard let message = try client.readMessage(timeout: timeout) else {
                if client.reachedEnd {
                    throw ClientError(kind: .connect, description: "the daemon closed the connection to \(client.path)")
                }
                return
            }
            guard case .notification(let notification) = message, let event = notification.event else { continue }
            Output.event(event, json: global.json)
            // Events go out as they happen, also into a pipe.
            fflush(nil)
            if event.type == .subscriptionLost {
                FileHandle.standardError.write(Data("softphonectl: the daemon dropped the subscription (events were read too slowly); some events were missed\n".utf8))
                guard follow else { return }
                _ = try client.call(.subscribe, params: params)
            }
        }
    }
}
