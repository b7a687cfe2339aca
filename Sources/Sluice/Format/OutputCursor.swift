/// A write position in space already reserved in a ``LogOutput``: the formats' fast path, for
/// records whose text needs no escaping (nearly all of them). Appends are plain stores with no
/// capacity check; strings are copied and checked eight bytes at a time in one pass. A check that
/// fails makes the format start the record again on the general path, so the fast path never has
/// to get escaping right, only to notice when it is needed.
package struct OutputCursor {
    package var pointer: UnsafeMutablePointer<UInt8>

    @inline(__always)
    package init(_ pointer: UnsafeMutablePointer<UInt8>) {
        self.pointer = pointer
    }

    @inline(__always)
    package mutating func append(_ byte: UInt8) {
        pointer.pointee = byte
        pointer += 1
    }

    @inline(__always)
    package mutating func append(_ text: StaticString) {
        UnsafeMutableRawPointer(pointer).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        pointer += text.utf8CodeUnitCount
    }

    /// Appends an RFC 3339 timestamp from its cached date and time and its nanoseconds, with
    /// `fractionDigits` digits (0...9).
    @inline(__always)
    package mutating func appendTimestamp(
        _ prefix: (dateTime: UnsafePointer<UInt8>, nanoseconds: Int), fractionDigits: Int
    ) {
        UnsafeMutableRawPointer(pointer).copyMemory(from: prefix.dateTime, byteCount: 19)
        pointer += 19
        if fractionDigits == 6 {
            let micros = prefix.nanoseconds / 1_000
            pointer[0] = UInt8(ascii: ".")
            LogOutput.writePair(micros / 10_000, to: pointer + 1)
            LogOutput.writePair(micros / 100 % 100, to: pointer + 3)
            LogOutput.writePair(micros % 100, to: pointer + 5)
            pointer[7] = UInt8(ascii: "Z")
            pointer += 8
            return
        }
        let digits = min(max(fractionDigits, 0), 9)
        if digits > 0 {
            pointer[0] = UInt8(ascii: ".")
            var fraction = prefix.nanoseconds
            for _ in digits..<9 {
                fraction /= 10
            }
            for position in stride(from: digits, through: 1, by: -1) {
                pointer[position] = UInt8(ascii: "0") &+ UInt8(fraction % 10)
                fraction /= 10
            }
            pointer += digits + 1
        }
        append(UInt8(ascii: "Z"))
    }

    /// Appends a decimal integer (at most 20 bytes).
    @inline(__always)
    package mutating func appendInteger(_ value: Int) {
        if value >= 0 && value < 10 {
            append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        pointer += LogOutput.writeInteger(value, to: pointer)
    }

    /// The word of `field` at `offset`, with the bytes past the field's end replaced by filler.
    /// Reads up to seven bytes past the end, which record memory always has (its read slack).
    @inline(__always)
    private static func word(_ field: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
        let word = UnsafeRawPointer(field.baseAddress! + offset).loadUnaligned(as: UInt64.self)
        let remaining = field.count - offset
        guard remaining < 8 else { return word }
        let kept: UInt64 = (1 &<< UInt64(remaining &* 8)) &- 1
        return word & kept | LogOutput.filler & ~kept
    }

    /// Whether any lane of `lanes` inside a field with `remaining` bytes left has its sign bit set.
    /// Lane `i` is inside when `i - remaining` is negative, computed with vector arithmetic.
    @inline(__always)
    private static func anyInside(_ lanes: SIMD16<Int8>, remaining: Int) -> Bool {
        let index = SIMD16<Int8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let inside = index &- SIMD16(repeating: Int8(truncatingIfNeeded: min(remaining, 64)))
        let bits = unsafeBitCast(lanes & inside, to: (UInt64, UInt64).self)
        return (bits.0 | bits.1) & LogOutput.highs != 0
    }

    /// Whether the bytes of `field` from `offset` (at most sixteen) hold one that `set` stops at,
    /// exactly; run only when the coarse vector test found a byte with the high bit set or DEL.
    @inline(never)
    private static func exactlySpecial(_ field: UnsafeBufferPointer<UInt8>, at offset: Int, _ set: LogOutput.ScanSet)
        -> Bool
    {
        LogOutput.wordHasSpecialByte(word(field, at: offset), set)
            || (field.count - offset > 8 && LogOutput.wordHasSpecialByte(word(field, at: offset + 8), set))
    }

    /// Copies `field` if none of its bytes needs escaping under `set`; returns false otherwise (the
    /// cursor is then unusable). Checks sixteen bytes at a time with vector compares; writes up to
    /// fifteen bytes past the field, inside reserved space, and reads up to fifteen past it, inside
    /// record memory's read slack.
    @inline(__always)
    package mutating func copy(_ field: UnsafeBufferPointer<UInt8>, unless set: LogOutput.ScanSet) -> Bool {
        let n = field.count
        guard n > 0, let source = field.baseAddress else { return true }
        var offset = 0
        while offset < n {
            let block = UnsafeRawPointer(source + offset).loadUnaligned(as: SIMD16<Int8>.self)
            if Self.anyInside(LogOutput.specialLanes(block, set), remaining: n &- offset)
                && Self.exactlySpecial(field, at: offset, set)
            {
                return false
            }
            UnsafeMutableRawPointer(pointer + offset).storeBytes(of: block, as: SIMD16<Int8>.self)
            offset &+= 16
        }
        pointer += n
        return true
    }

    /// Copies a text or logfmt value: bare when it can be, in quotes when only spaces or `=` need them
    /// (`""` when empty); false when it needs escaping.
    @inline(__always)
    package mutating func copyTextString(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = field.count
        guard n > 0, let source = field.baseAddress else {
            append("\"\"")
            return true
        }
        if n <= 16 {
            // One block: classify and copy it from a single load.
            let block = UnsafeRawPointer(source).loadUnaligned(as: SIMD16<Int8>.self)
            if Self.anyInside(LogOutput.specialLanes(block, .lineBreakingAndQuotes), remaining: n)
                && Self.exactlySpecial(field, at: 0, .lineBreakingAndQuotes)
            {
                return false
            }
            let needsQuotes = Self.anyInside(LogOutput.quotingLanes(block), remaining: n)
            if needsQuotes {
                append(UInt8(ascii: "\""))
            }
            UnsafeMutableRawPointer(pointer).storeBytes(of: block, as: SIMD16<Int8>.self)
            pointer += n
            if needsQuotes {
                append(UInt8(ascii: "\""))
            }
            return true
        }
        var needsQuotes = false
        var offset = 0
        while offset < n {
            let block = UnsafeRawPointer(source + offset).loadUnaligned(as: SIMD16<Int8>.self)
            let remaining = n &- offset
            if Self.anyInside(LogOutput.specialLanes(block, .lineBreakingAndQuotes), remaining: remaining)
                && Self.exactlySpecial(field, at: offset, .lineBreakingAndQuotes)
            {
                return false
            }
            needsQuotes = needsQuotes || Self.anyInside(LogOutput.quotingLanes(block), remaining: remaining)
            offset &+= 16
        }
        if needsQuotes {
            append(UInt8(ascii: "\""))
        }
        offset = 0
        while offset < n {
            let block = UnsafeRawPointer(source + offset).loadUnaligned(as: SIMD16<Int8>.self)
            UnsafeMutableRawPointer(pointer + offset).storeBytes(of: block, as: SIMD16<Int8>.self)
            offset &+= 16
        }
        pointer += n
        if needsQuotes {
            append(UInt8(ascii: "\""))
        }
        return true
    }
}

extension LogOutput {
    /// Runs the fast path of a format in `upperBound` reserved bytes; commits what it wrote when it
    /// succeeds, and leaves the buffer as it was when it returns false.
    @inline(__always)
    package mutating func withCursor(upperBound: Int, _ body: (inout OutputCursor) -> Bool) -> Bool {
        let start = reserve(upperBound)
        var cursor = OutputCursor(start)
        guard body(&cursor) else { return false }
        commit(cursor.pointer - start)
        return true
    }
}
