import Foundation
import Logging

/// A swift-log handler that writes one line per message, shaped for journald when stderr
/// is the journal stream and for people otherwise (see ``LogLineFormatter``).
///
/// The level comes from a shared ``LogLevelControl`` so that a SIGHUP reload changes it for
/// every logger at once; setting `logLevel` on one logger overrides it for that logger only.
public struct SystemdLogHandler: LogHandler {
    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let formatter: LogLineFormatter
    private let output: LogOutput
    private let levelControl: LogLevelControl
    private var levelOverride: Logger.Level?

    /// - Parameters:
    ///   - label: the logger's label, written before each message.
    ///   - formatter: journal or plain lines.
    ///   - output: where lines go; stderr by default.
    ///   - levelControl: the shared level.
    ///   - metadataProvider: contributes metadata to every message.
    public init(
        label: String,
        formatter: LogLineFormatter,
        output: LogOutput = .standardError,
        levelControl: LogLevelControl,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.formatter = formatter
        self.output = output
        self.levelControl = levelControl
        self.metadataProvider = metadataProvider
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? levelControl.level }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let extra = event.metadata {
            merged.merge(extra) { _, new in new }
        }
        if let error = event.error {
            merged["error"] = .string("\(error)")
        }
        output.write(formatter.format(
            level: event.level, label: label, message: event.message.description, metadata: merged))
    }
}
