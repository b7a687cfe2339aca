/// Finds secrets in text: the built-in ``RedactionPattern``s, written over bytes so they run in one
/// pass without a regular-expression engine, never allocate (beyond growing the caller's range
/// buffer) and take time linear in the input whatever its content.
///
/// Each finder appends the byte ranges to replace to `ranges`, in ascending order, non-overlapping
/// within one finder. Input need not be valid UTF-8: every byte the finders look for is ASCII.
package enum SecretScanner {
    // MARK: Bearer tokens

    /// `Bearer <token>` (the scheme in any case, then spaces or tabs): the token, RFC 6750's
    /// `b64token` characters, when it is at least 8 characters and not a plain word (it holds a digit
    /// or a symbol, or is at least 20 characters). The word `Bearer` stays, so the line still says
    /// what was there.
    package static func bearerTokens(in text: UnsafeBufferPointer<UInt8>, into ranges: inout [Range<Int>]) {
        let n = text.count
        var index = 0
        while index + 7 < n {
            // "bearer" is six bytes; find a 'b' or 'B' first.
            guard text[index] | 0x20 == UInt8(ascii: "b") else {
                index += 1
                continue
            }
            guard index == 0 || !isWordByte(text[index - 1]), matchesLowercased(text, at: index, "bearer") else {
                index += 1
                continue
            }
            var cursor = index + 6
            let spaces = cursor
            while cursor < n && (text[cursor] == UInt8(ascii: " ") || text[cursor] == UInt8(ascii: "\t")) {
                cursor += 1
            }
            guard cursor > spaces else {
                index += 6
                continue
            }
            let start = cursor
            var plainWord = true
            while cursor < n && isTokenByte(text[cursor]) {
                if !isLetter(text[cursor]) {
                    plainWord = false
                }
                cursor += 1
            }
            while cursor < n && text[cursor] == UInt8(ascii: "=") {
                plainWord = false
                cursor += 1
            }
            let length = cursor - start
            if length >= 8 && (!plainWord || length >= 20) {
                ranges.append(start..<cursor)
                index = cursor
            } else {
                // Not a token: it may itself be the scheme ("bearer Bearer <token>").
                index = start
            }
        }
    }

    // MARK: Card numbers

    /// Payment card numbers: 13 to 19 digits, optionally in groups separated by single spaces or
    /// dashes, that pass the Luhn check. In a longer run of groups, the longest stretch of whole
    /// groups that qualifies is taken, left to right; a run of more than 19 digits without separators
    /// is an identifier, not a card number, and so is a run glued to a letter.
    package static func cardNumbers(in text: UnsafeBufferPointer<UInt8>, into ranges: inout [Range<Int>]) {
        let n = text.count
        var index = 0
        while index < n {
            guard isDigit(text[index]) else {
                index += 1
                continue
            }
            if index > 0 && isAlphanumeric(text[index - 1]) {
                // Glued to a word on its left: skip the digits.
                while index < n && isDigit(text[index]) {
                    index += 1
                }
                continue
            }
            var groups = GroupRing()
            var matchedUpTo = index
            var cursor = index
            while true {
                let groupStart = cursor
                while cursor < n && isDigit(text[cursor]) {
                    cursor += 1
                }
                groups.push(start: groupStart, end: cursor)
                let continues =
                    cursor + 1 < n && (text[cursor] == UInt8(ascii: " ") || text[cursor] == UInt8(ascii: "-"))
                    && isDigit(text[cursor + 1])
                if continues || cursor == n || !isLetter(text[cursor]) {
                    if let start = groups.longestCard(endingAt: cursor, from: matchedUpTo, in: text) {
                        ranges.append(start..<cursor)
                        matchedUpTo = cursor
                    }
                }
                guard continues else { break }
                cursor += 1
            }
            index = cursor
        }
    }

    /// The last 20 groups of a run of digits (a card number spans at most 19), without allocating.
    private struct GroupRing {
        private static let capacity = 20
        private var bounds:
            (
                Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int
            ) = (
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0
            )
        private var pushed = 0

        mutating func push(start: Int, end: Int) {
            let slot = pushed % Self.capacity
            withUnsafeMutableBytes(of: &bounds) { raw in
                let values = raw.bindMemory(to: Int.self)
                values[2 * slot] = start
                values[2 * slot + 1] = end
            }
            pushed += 1
        }

        /// The start of the longest stretch of whole groups ending with the newest one, beginning at
        /// or after `lowerBound`, with 13 to 19 digits that pass the Luhn check.
        func longestCard(endingAt end: Int, from lowerBound: Int, in text: UnsafeBufferPointer<UInt8>) -> Int? {
            withUnsafeBytes(of: bounds) { raw in
                let values = raw.bindMemory(to: Int.self)
                var digits = 0
                var reach = 0
                while reach < min(pushed, Self.capacity) {
                    let slot = (pushed - 1 - reach) % Self.capacity
                    let start = values[2 * slot]
                    let total = digits + values[2 * slot + 1] - start
                    guard start >= lowerBound, total <= 19 else { break }
                    digits = total
                    reach += 1
                }
                // Longest first: drop the oldest group each time round.
                var back = reach - 1
                while back >= 0 && digits >= 13 {
                    let slot = (pushed - 1 - back) % Self.capacity
                    let start = values[2 * slot]
                    // No card number starts with 0 (ISO/IEC 7812), which also spares runs of zeros.
                    if text[start] != UInt8(ascii: "0") && luhn(text, start..<end) {
                        return start
                    }
                    digits -= values[2 * slot + 1] - start
                    back -= 1
                }
                return nil
            }
        }
    }

    /// The Luhn checksum over the digits in `range` (separators skipped).
    package static func luhn(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var sum = 0
        var double = false
        var index = range.upperBound
        while index > range.lowerBound {
            index -= 1
            let byte = text[index]
            guard isDigit(byte) else { continue }
            var digit = Int(byte &- UInt8(ascii: "0"))
            if double {
                digit *= 2
                if digit > 9 {
                    digit -= 9
                }
            }
            sum += digit
            double.toggle()
        }
        return sum % 10 == 0
    }

    // MARK: E-mail addresses

    /// E-mail addresses: a local part of RFC 5322 atom characters and dots, `@`, and a domain of at
    /// least two labels (letters, digits, hyphens) whose last label is at least two letters.
    package static func emailAddresses(in text: UnsafeBufferPointer<UInt8>, into ranges: inout [Range<Int>]) {
        let n = text.count
        var index = 0
        var lastEnd = 0
        while index < n {
            guard text[index] == UInt8(ascii: "@") else {
                index += 1
                continue
            }
            // The local part: back from the '@', never into the previous match.
            var start = index
            while start > lastEnd && isLocalPartByte(text[start - 1]) {
                start -= 1
            }
            while start < index && text[start] == UInt8(ascii: ".") {
                start += 1
            }
            guard start < index else {
                index += 1
                continue
            }
            // The domain: labels separated by single dots.
            var cursor = index + 1
            var labels = 0
            var lastLabelStart = cursor
            var lastLabelAllLetters = true
            var domainEnd = cursor
            while cursor < n {
                let labelStart = cursor
                var allLetters = true
                while cursor < n
                    && (isLetter(text[cursor]) || isDigit(text[cursor]) || text[cursor] == UInt8(ascii: "-"))
                {
                    if !isLetter(text[cursor]) {
                        allLetters = false
                    }
                    cursor += 1
                }
                guard cursor > labelStart else { break }
                labels += 1
                lastLabelStart = labelStart
                lastLabelAllLetters = allLetters
                domainEnd = cursor
                guard cursor + 1 < n, text[cursor] == UInt8(ascii: "."), isLabelStart(text[cursor + 1]) else { break }
                cursor += 1
            }
            if labels >= 2 && lastLabelAllLetters && domainEnd - lastLabelStart >= 2 {
                ranges.append(start..<domainEnd)
                lastEnd = domainEnd
                index = domainEnd
            } else {
                index += 1
            }
        }
    }

    // MARK: AWS access keys

    /// AWS access key ids: a four-letter prefix (`AKIA`, `ASIA` and the other documented ones)
    /// followed by 16 upper-case letters or digits, not glued to other letters or digits.
    package static func awsAccessKeys(in text: UnsafeBufferPointer<UInt8>, into ranges: inout [Range<Int>]) {
        let n = text.count
        var index = 0
        while index + 20 <= n {
            guard text[index] == UInt8(ascii: "A"), index == 0 || !isAlphanumeric(text[index - 1]) else {
                index += 1
                continue
            }
            guard isAWSPrefix(text, at: index) else {
                index += 1
                continue
            }
            var cursor = index + 4
            while cursor < index + 20 && (isUpper(text[cursor]) || isDigit(text[cursor])) {
                cursor += 1
            }
            if cursor == index + 20 && (cursor == n || !isAlphanumeric(text[cursor])) {
                ranges.append(index..<cursor)
                index = cursor
            } else {
                index += 1
            }
        }
    }

    private static let awsPrefixes: [(UInt8, UInt8, UInt8)] = [
        "KIA", "SIA", "BIA", "CCA", "GPA", "IDA", "IPA", "NPA", "NVA", "PKA", "ROA", "SCA",
    ].map { (prefix: StaticString) in
        (prefix.utf8Start[0], prefix.utf8Start[1], prefix.utf8Start[2])
    }

    private static func isAWSPrefix(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        let a = text[index + 1]
        let b = text[index + 2]
        let c = text[index + 3]
        for prefix in awsPrefixes where prefix.0 == a && prefix.1 == b && prefix.2 == c {
            return true
        }
        return false
    }

    // MARK: Ranges

    /// Sorts `ranges` and merges overlapping or touching ones, in place.
    package static func normalize(_ ranges: inout [Range<Int>]) {
        guard ranges.count > 1 else { return }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var kept = 0
        for index in 1..<ranges.count {
            if ranges[index].lowerBound <= ranges[kept].upperBound {
                ranges[kept] = ranges[kept].lowerBound..<max(ranges[kept].upperBound, ranges[index].upperBound)
            } else {
                kept += 1
                ranges[kept] = ranges[index]
            }
        }
        ranges.removeLast(ranges.count - kept - 1)
    }

    // MARK: Byte classes

    @inline(__always)
    private static func matchesLowercased(_ text: UnsafeBufferPointer<UInt8>, at index: Int, _ word: StaticString)
        -> Bool
    {
        let length = word.utf8CodeUnitCount
        guard index + length <= text.count else { return false }
        for offset in 0..<length where text[index + offset] | 0x20 != word.utf8Start[offset] {
            return false
        }
        return true
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26
    }

    @inline(__always)
    private static func isUpper(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "A") < 26
    }

    @inline(__always)
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte)
    }

    @inline(__always)
    private static func isWordByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "_")
    }

    @inline(__always)
    private static func isLabelStart(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte)
    }

    /// RFC 6750 `b64token` characters.
    @inline(__always)
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "~") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }

    /// RFC 5322 `atext` and the dot.
    @inline(__always)
    private static func isLocalPartByte(_ byte: UInt8) -> Bool {
        if isAlphanumeric(byte) {
            return true
        }
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
            UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "/"),
            UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
            UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
