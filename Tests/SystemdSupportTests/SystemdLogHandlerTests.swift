#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Testing
@testable import SystemdSupport

/// A pipe whose write end is the handler's output, read back as lines.
private final class CapturedOutput {
    let output: LogOutput
    private let readEnd: CInt
    private let writeEnd: CInt

    init() {
        var ends: [CInt] = [0, 0]
        precondition(pipe(&ends) == 0)
        readEnd = ends[0]
        writeEnd = ends[1]
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        output = LogOutput(fileDescriptor: writeEnd)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Everything written so far.
    func lines() -> [String] {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

private struct DeviceGone: Error, CustomStringConvertible {
    var description: String { "device gone" }
}

@Suite struct SystemdLogHandlerTests {
    @Test func writesJournalLinesAndFollowsTheSharedLevel() {
        let captured = CapturedOutput()
        let control = LogLevelControl(.info)
        var logger = Logger(label: "softphoned.media") { label in
            SystemdLogHandler(label: label, formatter: LogLineFormatter(style: .journal),
                              output: captured.output, levelControl: control)
        }
        logger[metadataKey: "call"] = "c1"
        logger.debug("hidden")
        logger.info("started", metadata: ["port": "5004"])
        logger.error("capture failed", error: DeviceGone())

        // A SIGHUP reload lowers the level for loggers that already exist.
        control.level = .debug
        logger.debug("now visible")
        control.level = .error
        logger.warning("hidden again")

        #expect(captured.lines() == [
            "<6>softphoned.media: started call=c1 port=5004",
            "<3>softphoned.media: capture failed call=c1 error=\"device gone\"",
            "<7>softphoned.media: now visible call=c1",
        ])
    }

    @Test func aLoggersOwnLevelOverridesTheSharedOne() {
        let captured = CapturedOutput()
        let control = LogLevelControl(.error)
        var logger = Logger(label: "x") { label in
            SystemdLogHandler(label: label, formatter: LogLineFormatter(style: .journal),
                              output: captured.output, levelControl: control)
        }
        #expect(logger.logLevel == .error)
        logger.logLevel = .info
        logger.info("shown")
        #expect(captured.lines() == ["<6>x: shown"])
    }

    @Test func plainLinesWhenNotTheJournal() throws {
        let captured = CapturedOutput()
        let logger = Logger(label: "softphoned") { label in
            SystemdLogHandler(label: label, formatter: LogLineFormatter(style: .plain),
                              output: captured.output, levelControl: LogLevelControl(.info))
        }
        logger.notice("ready", metadata: ["socket": "/run/softphoned/control.sock"])
        let line = try #require(captured.lines().first)
        // 2026-11-21T10:00:00.020Z notice softphoned: ready socket=/run/softphoned/control.sock
        let parts = line.split(separator: " ", maxSplits: 1)
        #expect(parts.count == 2)
        #expect(parts[0].count == 24 && parts[0].hasSuffix("Z") && parts[0].contains("T"))
        #expect(parts[1] == "notice softphoned: ready socket=/run/softphoned/control.sock")
    }

    @Test func journalStreamMustNameTheDescriptor() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("js-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_RDWR, 0o600)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        var info = stat()
        #expect(fstat(fd, &info) == 0)
        let matching = "\(info.st_dev):\(info.st_ino)"
        #expect(JournalStream.isJournal(fileDescriptor: fd, environment: ["JOURNAL_STREAM": matching]))
        // Inherited by a process whose stderr went elsewhere: not the journal.
        #expect(!JournalStream.isJournal(fileDescriptor: fd, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
        #expect(!JournalStream.isJournal(fileDescriptor: fd, environment: [:]))
        #expect(!JournalStream.isJournal(fileDescriptor: fd, environment: ["JOURNAL_STREAM": "garbage"]))
    }

    @Test func levelControlRoundTripsEveryLevel() {
        let control = LogLevelControl()
        #expect(control.level == .info)
        for level in Logger.Level.allCases {
            control.level = level
            #expect(control.level == level)
        }
    }
}
