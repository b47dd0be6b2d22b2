/// Why the emulator could not do what it was asked.
public struct SessionAPIEmulatorError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case alreadyRunning
        case startFailed
        case unknownSession
    }

    private let code: Code
    /// Human-readable detail.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func alreadyRunning() -> Self { .init(.alreadyRunning, "the emulator is already running") }
    static func startFailed(_ reason: String) -> Self { .init(.startFailed, "the emulator could not start: \(reason)") }
    static func unknownSession(_ id: String) -> Self { .init(.unknownSession, "no active session \(id)") }

    public var description: String { self.message }
}
