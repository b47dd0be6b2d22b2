/// Strict checks of numeric IP address text, as `inet_pton(3)` accepts it.
///
/// The SDP negotiator and the configuration hand addresses to the socket layer, which
/// accepts only the canonical numeric forms: a dotted quad without signs or leading zeros,
/// and RFC 4291 §2.2 IPv6 text (no zone index, no brackets). Checking the same rules here
/// means an address that passed negotiation can always be bound or sent to.
public enum IPAddressLiteral {
    /// `a.b.c.d` with four decimal parts 0–255, none with a sign or a leading zero.
    public static func isIPv4(_ text: some StringProtocol) -> Bool {
        var parts = 0
        var digits = 0
        var value = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if leadingZero { return false }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return false }
            case UInt8(ascii: "."):
                guard digits > 0 else { return false }
                parts += 1
                guard parts < 4 else { return false }
                digits = 0
                value = 0
                leadingZero = false
            default:
                return false
            }
        }
        return parts == 3 && digits > 0
    }

    /// RFC 4291 §2.2: eight groups of 1–4 hex digits, at most one `::` standing for one or
    /// more zero groups, and optionally a dotted quad in place of the last two groups.
    public static func isIPv6(_ text: some StringProtocol) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count <= 45 else { return false }
        var groups = 0
        var sawDoubleColon = false
        var index = 0
        // A leading "::" (the only way a text may start with a colon).
        if utf8[0] == UInt8(ascii: ":") {
            guard utf8[1] == UInt8(ascii: ":") else { return false }
            sawDoubleColon = true
            index = 2
            if index == utf8.count { return true }
        }
        while index < utf8.count {
            // One group: hex digits up to the next colon, or a trailing dotted quad.
            let start = index
            while index < utf8.count, isHexDigit(utf8[index]) { index += 1 }
            if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
                // The embedded IPv4 address takes the last 32 bits.
                guard isIPv4(String(decoding: utf8[start...], as: UTF8.self)) else { return false }
                groups += 2
                index = utf8.count
                break
            }
            let length = index - start
            guard length >= 1, length <= 4 else { return false }
            groups += 1
            if index == utf8.count { break }
            guard utf8[index] == UInt8(ascii: ":") else { return false }
            index += 1
            if index < utf8.count, utf8[index] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return false }
                sawDoubleColon = true
                index += 1
                if index == utf8.count { break }
            } else if index == utf8.count {
                // A single trailing colon.
                return false
            }
        }
        return sawDoubleColon ? groups <= 7 : groups == 8
    }

    /// Either form.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        isIPv4(text) || isIPv6(text)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
