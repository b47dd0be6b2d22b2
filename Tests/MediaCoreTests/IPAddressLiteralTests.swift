import MediaCore
import Testing

/// The address forms the negotiator lets through are exactly those `inet_pton(3)` reads.
@Suite struct IPAddressLiteralTests {
    @Test(arguments: ["0.0.0.0", "127.0.0.1", "192.0.2.10", "255.255.255.255", "10.0.100.9"])
    func acceptsDottedQuads(_ text: String) {
        #expect(IPAddressLiteral.isIPv4(text))
        #expect(!IPAddressLiteral.isIPv6(text))
    }

    @Test(arguments: ["01.2.3.4", "+1.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.",
                      "", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/24", "0x1.2.3.4", "１.2.3.4", "1.2.3.4\u{0}", "-1.2.3.4"])
    func refusesWhatInetPtonRefuses(_ text: String) {
        #expect(!IPAddressLiteral.isIPv4(text))
    }

    @Test(arguments: ["::", "::1", "1::", "2001:db8::1", "2001:DB8:0:0:8:800:200C:417A", "fe80::1:2", "::ffff:192.0.2.1",
                      "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "64:ff9b::198.51.100.1"])
    func acceptsIPv6Text(_ text: String) {
        #expect(IPAddressLiteral.isIPv6(text))
    }

    @Test(arguments: [":", ":::", "::::", "1:2:3:4:5:6:7:8:9", "1::2::3", "1:2:3:4:5:6:7", "12345::1", "fe80::1%eth0",
                      "[::1]", "1:2:3:4:5:6:7:8::", "::1:", ":1::2", "g::1", "::1.2.3", "::01.2.3.4", "1.2.3.4::",
                      "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:1.2.3.4", ""])
    func refusesMalformedIPv6(_ text: String) {
        #expect(!IPAddressLiteral.isIPv6(text))
    }
}
