import Foundation
import Logging
import Testing
@testable import SystemdSupport

@Suite struct LogLineFormatterTests {
    private let date = Date(timeIntervalSince1970: 1_795_255_200.020)  // 2026-11-21T10:00:00.020Z

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5),
        (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func journalLinesCarryTheSyslogPriority(level: Logger.Level, priority: Int) {
        let line = LogLineFormatter(style: .journal).format(
            level: level, label: "softphoned", message: "hello", metadata: [:], date: date)
        #expect(line == "<\(priority)>softphoned: hello\n")
    }

    @Test func plainLinesCarryATimestampAndLevel() {
        let line = LogLineFormatter(style: .plain).format(
            level: .warning, label: "softphoned.signaling", message: "PATCH failed",
            metadata: ["status": "503", "attempt": "2"], date: date)
        #expect(line == "2026-11-21T10:00:00.020Z warning softphoned.signaling: PATCH failed attempt=2 status=503\n")
    }

    @Test func journalLinesHaveNoTimestamp() {
        let line = LogLineFormatter(style: .journal).format(
            level: .info, label: "softphoned", message: "call started",
            metadata: ["remote": "127.0.0.1:5004"], date: date)
        #expect(line == "<6>softphoned: call started remote=127.0.0.1:5004\n")
    }

    @Test func metadataIsQuotedWhenNeeded() {
        let line = LogLineFormatter(style: .journal).format(
            level: .error, label: "x", message: "m",
            metadata: ["reason": "device \"hw:0\" gone", "empty": "", "eq": "a=b", "list": ["a", "b"]],
            date: date)
        #expect(line == #"<3>x: m empty="" eq="a=b" list="[a, b]" reason="device \"hw:0\" gone""# + "\n")
    }

    @Test func aMessageIsAlwaysOneLine() {
        let line = LogLineFormatter(style: .journal).format(
            level: .info, label: "x", message: "first\nsecond\r\nthird", metadata: ["k": "v\nw"], date: date)
        #expect(line == "<6>x: first\\nsecond\\nthird k=v\\nw\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(LogLineFormatter.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(LogLineFormatter.timestamp(Date(timeIntervalSince1970: 1_795_255_200.999)) == "2026-11-21T10:00:00.999Z")
    }
}
