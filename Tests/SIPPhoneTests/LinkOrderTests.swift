import Foundation
import Testing

/// sofia-sip and libnice both export `stun_message_length`; libnice calls its own through the
/// PLT, so whichever library the program loads first answers libnice's STUN parsing. With
/// sofia first, ICE breaks silently. softphoned links sofia after libnice by construction
/// (Package.swift: `sofiaLibrary`); these fail when that order is ever lost.
@Suite struct LinkOrderTests {
    /// In this test program (linked the way softphoned is): the global lookup of the symbol,
    /// which is what libnice's own reference binds to, lands in libnice.
    @Test func libniceAnswersItsOwnSTUNCalls() throws {
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "stun_message_length"),
                                  "stun_message_length is not loaded at all")
        let library = try #require(Self.mappedFile(containing: UInt(bitPattern: symbol)))
        #expect(library.contains("libnice"), "stun_message_length resolves to \(library), not libnice")
    }

    /// The file mapped at `address` in this process (/proc/self/maps; glibc's dladdr needs _GNU_SOURCE).
    static func mappedFile(containing address: UInt) -> String? {
        // /proc files report size 0: read to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            let range = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            if range.count == 2, (range[0]..<range[1]).contains(address) { return String(fields[5]) }
        }
        return nil
    }

    /// In the softphoned binary itself: libnice comes before sofia in DT_NEEDED.
    @Test func softphonedLoadsLibniceFirst() throws {
        let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/softphoned").path
        try #require(FileManager.default.fileExists(atPath: binary), "build softphoned first (swift build)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        process.arguments = ["-d", binary]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let needed = output.split(separator: "\n").filter { $0.contains("(NEEDED)") }.map(String.init)
        let nice = try #require(needed.firstIndex { $0.contains("libnice") }, "softphoned does not link libnice")
        let sofia = try #require(needed.firstIndex { $0.contains("libsofia-sip-ua") }, "softphoned does not link sofia-sip")
        #expect(nice < sofia, "DT_NEEDED lists sofia-sip before libnice:\n\(needed.joined(separator: "\n"))")
    }
}
