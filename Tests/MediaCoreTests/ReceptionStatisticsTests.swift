import MediaCore
import Testing

@Suite struct ReceptionStatisticsTests {
    static func ms(_ value: Int) -> UInt64 { UInt64(value) * 1_000_000 }

    /// Feeds packets sent every 20 ms (960 timestamp units) arriving exactly on time.
    func feed(_ statistics: inout ReceptionStatistics, _ sequences: [UInt16], firstIndex: Int = 0) {
        for (offset, sequence) in sequences.enumerated() {
            let i = firstIndex + offset
            statistics.update(sequenceNumber: sequence, timestamp: 5000 &+ UInt32(i) &* 960, arrival: Self.ms(1000 + 20 * i))
        }
    }

    @Test func countsLossPerIntervalAndCumulatively() {
        var statistics = ReceptionStatistics(minimumSequential: 1)
        feed(&statistics, [0, 1, 2, 4, 5, 6, 8, 9])  // 3 and 7 lost
        #expect(statistics.expected == 10)
        #expect(statistics.received == 8)
        #expect(statistics.cumulativeLost == 2)
        let first = statistics.makeReportBlock(ssrc: 0xABCD)
        #expect(first.ssrc == 0xABCD)
        #expect(first.fractionLost == 51)  // (2 << 8) / 10
        #expect(first.cumulativeLost == 2)
        #expect(first.extendedHighestSequence == 9)
        #expect(first.jitter == 0)

        feed(&statistics, Array(10...19), firstIndex: 10)
        let second = statistics.makeReportBlock(ssrc: 0xABCD)
        #expect(second.fractionLost == 0)
        #expect(second.cumulativeLost == 2)
        #expect(second.extendedHighestSequence == 19)

        feed(&statistics, [20, 23], firstIndex: 20)  // 21, 22 lost: 2 of 4
        let block9 = statistics.makeReportBlock(ssrc: 1)
        #expect(block9.fractionLost == 128)
        // Nothing new: no interval loss.
        let block10 = statistics.makeReportBlock(ssrc: 1)
        #expect(block10.fractionLost == 0)
    }

    @Test func probationWaitsForTwoPacketsInSequence() {
        var statistics = ReceptionStatistics()
        let accepted1 = statistics.update(sequenceNumber: 100, timestamp: 0, arrival: 0)
        #expect(!accepted1)
        #expect(!statistics.isValid)
        let accepted2 = statistics.update(sequenceNumber: 101, timestamp: 960, arrival: Self.ms(20))
        #expect(accepted2)
        #expect(statistics.isValid)
        // RFC 3550 A.1 counts from the packet that ends probation.
        #expect(statistics.expected == 1)
        #expect(statistics.received == 1)
        let accepted3 = statistics.update(sequenceNumber: 103, timestamp: 2880, arrival: Self.ms(60))
        #expect(accepted3)
        #expect(statistics.cumulativeLost == 1)
    }

    @Test func probationRestartsOnAGap() {
        var statistics = ReceptionStatistics()
        let accepted4 = statistics.update(sequenceNumber: 100, timestamp: 0, arrival: 0)
        #expect(!accepted4)
        let accepted5 = statistics.update(sequenceNumber: 150, timestamp: 0, arrival: 0)
        #expect(!accepted5)
        let accepted6 = statistics.update(sequenceNumber: 151, timestamp: 0, arrival: 0)
        #expect(accepted6)
        #expect(statistics.extendedHighestSequence == 151)
    }

    @Test func extendsSequenceNumbersAcrossTheWrap() {
        var statistics = ReceptionStatistics(minimumSequential: 1)
        feed(&statistics, [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5])
        #expect(statistics.extendedHighestSequence == 65536 + 5)
        #expect(statistics.expected == 12)
        #expect(statistics.cumulativeLost == 0)
        // A reordered packet from before the wrap does not go back a cycle.
        statistics.update(sequenceNumber: 65535, timestamp: 0, arrival: 0)
        #expect(statistics.extendedHighestSequence == 65541)
    }

    @Test func duplicatesMakeLossNegative() {
        var statistics = ReceptionStatistics(minimumSequential: 1)
        feed(&statistics, [7, 8, 8, 9])
        #expect(statistics.cumulativeLost == -1)
        let block = statistics.makeReportBlock(ssrc: 9)
        #expect(block.cumulativeLost == -1)
        #expect(block.fractionLost == 0)
    }

    @Test func aJumpConfirmedByASecondPacketRestartsTheSource() {
        var statistics = ReceptionStatistics(minimumSequential: 1)
        feed(&statistics, [10, 11, 12])
        let accepted7 = statistics.update(sequenceNumber: 40000, timestamp: 0, arrival: 0)
        #expect(!accepted7)
        let accepted8 = statistics.update(sequenceNumber: 40001, timestamp: 960, arrival: Self.ms(20))
        #expect(accepted8)
        #expect(statistics.extendedHighestSequence == 40001)
        #expect(statistics.expected == 1)
        #expect(statistics.cumulativeLost == 0)
    }

    @Test func jitterMatchesAHandComputedExample() {
        // Sent every 20 ms; arrivals at 0, 20, 45, 60 ms. Transit in 48 kHz units: 0, 0, 240, 0.
        // |D|: 0, 240, 240. J: 0 → 0 → 240/16 = 15 → 15 + (240 − 15)/16 = 29.0625.
        var statistics = ReceptionStatistics(minimumSequential: 1)
        for (i, arrival) in [0, 20, 45, 60].enumerated() {
            statistics.update(sequenceNumber: UInt16(i), timestamp: UInt32(i * 960), arrival: Self.ms(1000 + arrival))
        }
        #expect(statistics.jitter == 29.0625)
        #expect(statistics.jitterMilliseconds == 29.0625 / 48)
        let block11 = statistics.makeReportBlock(ssrc: 1)
        #expect(block11.jitter == 29)
    }

    @Test func jitterTimestampArithmeticWraps() {
        var statistics = ReceptionStatistics(minimumSequential: 1)
        let start: UInt32 = .max - 960
        for i in 0..<4 {
            statistics.update(sequenceNumber: UInt16(i), timestamp: start &+ UInt32(i * 960), arrival: Self.ms(500 + 20 * i))
        }
        #expect(statistics.jitter == 0)
    }
}

@Suite struct RTCPReportBlockTests {
    @Test func writeThenParseRoundTrips() {
        let block = RTCPReportBlock(ssrc: 0x1234_5678, fractionLost: 51, cumulativeLost: -3, extendedHighestSequence: 0x0001_0005,
                                    jitter: 29, lastSenderReport: 0xB705_2883, delaySinceLastSenderReport: 0x0005_4000)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 24, alignment: 4)
        defer { buffer.deallocate() }
        #expect(block.write(into: buffer) == 24)
        #expect(Array(buffer[0..<8]) == [0x12, 0x34, 0x56, 0x78, 51, 0xFF, 0xFF, 0xFD])
        #expect(RTCPReportBlock(parsing: UnsafeRawBufferPointer(buffer)) == block)
        #expect(RTCPReportBlock(parsing: UnsafeRawBufferPointer(rebasing: buffer[0..<23])) == nil)
        #expect(block.write(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<20])) == 0)
    }

    @Test func clampsCumulativeLossTo24Bits() {
        #expect(RTCPReportBlock(ssrc: 1, fractionLost: 0, cumulativeLost: 10_000_000, extendedHighestSequence: 0, jitter: 0,
                                lastSenderReport: 0, delaySinceLastSenderReport: 0).cumulativeLost == 0x7F_FFFF)
    }

    @Test func roundTripTimeFollowsRFC3550Example() {
        // RFC 3550 §6.4.1: LSR 0xb705:2000 (46853.125 s), DLSR 0x0005:4000 (5.25 s),
        // arrival 0xb710:8000 (46864.5 s) → 6.125 s.
        let block = RTCPReportBlock(ssrc: 1, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0,
                                    lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)
        #expect(block.roundTripTime(arrival: 0xB710_8000) == 6.125)
        #expect(block.roundTripTime(arrival: 0xB705_2000) == nil)  // negative: clocks disagree
        var none = block
        none.lastSenderReport = 0
        #expect(none.roundTripTime(arrival: 0xB710_8000) == nil)
        #expect(RTCPReportBlock.delay(nanoseconds: 5_250_000_000) == 0x0005_4000)
    }

    @Test func parsesSenderReportWithBlocks() throws {
        let ntp = RTCPPacket.NTPTime(seconds: 3_900_000_000, fraction: 0x8000_0000)
        let sender = RTCPPacket.SenderInfo(ntp: ntp, rtpTimestamp: 123_456, packetCount: 500, octetCount: 40_000)
        let blocks = [
            RTCPReportBlock(ssrc: 0xAAAA, fractionLost: 1, cumulativeLost: 2, extendedHighestSequence: 3, jitter: 4,
                            lastSenderReport: 5, delaySinceLastSenderReport: 6),
            RTCPReportBlock(ssrc: 0xBBBB, fractionLost: 7, cumulativeLost: -8, extendedHighestSequence: 9, jitter: 10,
                            lastSenderReport: 11, delaySinceLastSenderReport: 12),
        ]
        let blockBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 48, alignment: 4)
        let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 200, alignment: 4)
        defer {
            blockBytes.deallocate()
            packet.deallocate()
        }
        for (i, block) in blocks.enumerated() {
            block.write(into: UnsafeMutableRawBufferPointer(rebasing: blockBytes[(24 * i)..<(24 * i + 24)]))
        }
        let length = RTCPPacket.writeReport(into: packet, ssrc: 0xCAFE, sender: sender, reportBlocks: UnsafeRawBufferPointer(blockBytes))
        #expect(length == 76)

        let report = try #require(RTCPReceivedReport(parsing: UnsafeRawBufferPointer(rebasing: packet[0..<length])))
        #expect(report.isSenderReport)
        #expect(report.ssrc == 0xCAFE)
        #expect(report.senderInfo == sender)
        #expect(report.reportBlockCount == 2)
        #expect(report.reportBlock(at: 0) == blocks[0])
        #expect(report.reportBlock(about: 0xBBBB) == blocks[1])
        #expect(report.reportBlock(about: 0xCCCC) == nil)

        // Truncated packets and other types are refused.
        #expect(RTCPReceivedReport(parsing: UnsafeRawBufferPointer(rebasing: packet[0..<(length - 4)])) == nil)
        let bye = RTCPPacket.writeBye(into: packet, ssrc: 1)
        #expect(RTCPReceivedReport(parsing: UnsafeRawBufferPointer(rebasing: packet[0..<bye])) == nil)
    }

    @Test func parsesReceiverReportInACompoundPacket() throws {
        var statistics = ReceptionStatistics(minimumSequential: 1)
        for i in 0..<10 where i != 4 {
            statistics.update(sequenceNumber: UInt16(i), timestamp: UInt32(i * 960), arrival: UInt64(i) * 20_000_000)
        }
        let block = statistics.makeReportBlock(ssrc: 0x5151, lastSenderReport: 0x1000_0000,
                                               delaySinceLastSenderReport: RTCPReportBlock.delay(nanoseconds: 500_000_000))
        let compound = UnsafeMutableRawBufferPointer.allocate(byteCount: 200, alignment: 4)
        let blockBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 24, alignment: 4)
        defer {
            compound.deallocate()
            blockBytes.deallocate()
        }
        block.write(into: blockBytes)
        var length = RTCPPacket.writeReport(into: compound, ssrc: 0x7777, sender: nil, reportBlocks: UnsafeRawBufferPointer(blockBytes))
        length += RTCPPacket.writeCNAME(into: UnsafeMutableRawBufferPointer(rebasing: compound[length...]), ssrc: 0x7777,
                                        cname: Array("far-end".utf8))

        var found: RTCPReportBlock?
        var senderInfo: RTCPPacket.SenderInfo?
        let wellFormed = RTCPPacket.forEachPacket(in: UnsafeRawBufferPointer(rebasing: compound[0..<length])) { item in
            guard let report = RTCPReceivedReport(parsing: item.bytes) else { return }
            #expect(!report.isSenderReport)
            senderInfo = report.senderInfo
            found = report.reportBlock(about: 0x5151)
        }
        #expect(wellFormed)
        #expect(senderInfo == nil)
        let parsed = try #require(found)
        #expect(parsed.fractionLost == 25)  // (1 << 8) / 10
        #expect(parsed.cumulativeLost == 1)
        #expect(parsed.extendedHighestSequence == 9)
        #expect(parsed.delaySinceLastSenderReport == 0x8000)
        #expect(parsed.roundTripTime(arrival: 0x1000_0000 + 0x8000 + 0x0CCD)! > 0.049)
    }
}
