import Foundation

extension StringProtocol {
    /// The text without leading and trailing whitespace as Foundation's `.whitespaces` set
    /// defines it (tab and the Unicode space separators, general category Zs), so the same
    /// as `trimmingCharacters(in: .whitespaces)`.
    ///
    /// Walks Unicode scalars in place: Foundation's version bridges every value through
    /// `NSString`, which made it the parser's most expensive step on every `a=` line.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].isFoundationWhitespace { scalars.formIndex(after: &start) }
        while end > start {
            let last = scalars.index(before: end)
            guard scalars[last].isFoundationWhitespace else { break }
            end = last
        }
        return String(self[start..<end])
    }

    /// `caseInsensitiveCompare(other) == .orderedSame`, without Foundation when both are
    /// ASCII (every SDP attribute name softphoned looks up is).
    func equalsIgnoringCase(_ other: some StringProtocol) -> Bool {
        let a = utf8
        let b = other.utf8
        guard a.allSatisfy({ $0 < 0x80 }) && b.allSatisfy({ $0 < 0x80 }) else {
            return caseInsensitiveCompare(other) == .orderedSame
        }
        return a.count == b.count && zip(a, b).allSatisfy { x, y in x == y || (isASCIILetter(x) && x ^ y == 0x20 && isASCIILetter(y)) }
    }
}

private func isASCIILetter(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
}

extension Unicode.Scalar {
    /// Member of `CharacterSet.whitespaces`: U+0009 or general category Zs.
    var isFoundationWhitespace: Bool {
        if value < 0x80 { return value == 0x20 || value == 0x09 }
        return properties.generalCategory == .spaceSeparator
    }
}
