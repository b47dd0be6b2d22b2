/// A credential (client secret, access token) that never shows itself in logs, errors or dumps.
///
/// `description`, `debugDescription`, string interpolation and `dump` all print `<redacted>`;
/// only ``revealed`` gives the value, for the one place that must put it on the wire.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, ExpressibleByStringLiteral
{
    private let value: String

    /// Wraps a secret value.
    public init(_ value: String) {
        self.value = value
    }

    public init(stringLiteral value: String) {
        self.value = value
    }

    /// The secret itself. Use only to build a request; never log or interpolate it.
    public var revealed: String { self.value }

    /// Whether the secret is the empty string.
    public var isEmpty: Bool { self.value.isEmpty }

    public var description: String { "<redacted>" }

    public var debugDescription: String { "<redacted>" }

    public var customMirror: Mirror {
        Mirror(self, children: ["value": "<redacted>"], displayStyle: .struct)
    }
}
