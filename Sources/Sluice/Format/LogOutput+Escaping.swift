extension LogOutput {
    /// How ``LogOutput/appendEscaped(_:_:limit:)`` makes untrusted text safe.
    ///
    /// Every style escapes what could break a record out of its line or fool a terminal: C0 controls
    /// (including CR, LF, NUL and ESC), DEL, C1 controls, the Unicode line and paragraph separators
    /// and every bidirectional control (U+061C, U+200E, U+200F, U+202A…U+202E, U+2066…U+2069). Text
    /// is always data: nothing is interpreted.
    public struct EscapeStyle: Sendable, Hashable {
        package enum Kind: Sendable, Hashable {
            case text
            case json
            case quoted
        }

        package let kind: Kind

        /// For human-readable text: `\n`, `\r`, `\t`, `\x1b`, `\u2028`…; quotes and backslashes stay.
        public static let text = EscapeStyle(kind: .text)
        /// The inside of a JSON string (RFC 8259): also `\"` and `\\`, with `\uXXXX` for the rest.
        public static let json = EscapeStyle(kind: .json)
        /// The inside of a double-quoted logfmt value: the same escapes as JSON.
        public static let quoted = EscapeStyle(kind: .quoted)
    }

    /// Appends untrusted text so that it stays on one line and is read back as data.
    ///
    /// Text longer than `limit` UTF-8 bytes is cut at a character boundary and followed by a visible
    /// marker, `…[truncated, N bytes]`, where N is the original length.
    ///
    /// - Parameters:
    ///   - text: The text (a message, a value, a label).
    ///   - style: Which escaping to apply.
    ///   - limit: The most bytes of `text` to keep.
    @inline(__always)
    public mutating func appendEscaped(_ text: String, _ style: EscapeStyle, limit: Int = .max) {
        Self.withUTF8(text) { appendEscaped($0, style.kind, limit: limit) }
    }

    @inline(__always)
    package mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, _ kind: EscapeStyle.Kind, limit: Int) {
        // Fast path: short enough and nothing to escape.
        if utf8.count <= limit && appendIfPlain(utf8, kind == .text ? .lineBreaking : .lineBreakingAndQuotes) {
            return
        }
        appendEscapedSlowly(utf8, kind, limit: limit)
    }

    @inline(never)
    private mutating func appendEscapedSlowly(_ utf8: UnsafeBufferPointer<UInt8>, _ kind: EscapeStyle.Kind, limit: Int)
    {
        var end = utf8.count
        let truncated = end > limit
        if truncated {
            end = max(limit, 0)
            while end > 0 && utf8[end] & 0xC0 == 0x80 {
                end -= 1  // back to the start of a UTF-8 sequence
            }
        }
        appendEscapedBytes(UnsafeBufferPointer(rebasing: utf8[0..<end]), kind)
        if truncated {
            append("…[truncated, ")
            appendInteger(utf8.count)
            append(" bytes]")
        }
    }

    /// Appends a string value for text and logfmt: verbatim when it is a bare word, otherwise quoted
    /// and escaped (empty, spaces, `=`, quotes, backslashes, controls, separators, or truncated).
    @inline(__always)
    package mutating func appendTextString(_ string: String, limit: Int) {
        Self.withUTF8(string) { appendTextString($0, limit: limit) }
    }

    @inline(__always)
    package mutating func appendTextString(_ utf8: UnsafeBufferPointer<UInt8>, limit: Int) {
        if utf8.count <= limit && appendIfPlain(utf8, .bare) {
            return
        }
        appendQuoted(utf8, limit: limit)
    }

    @inline(never)
    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>, limit: Int) {
        append(UInt8(ascii: "\""))
        appendEscapedSlowly(utf8, .quoted, limit: limit)
        append(UInt8(ascii: "\""))
    }

    /// Copies `utf8` to the end of the buffer if it is non-empty and holds no byte that `set` stops
    /// at; returns whether it did. The copy happens first and the check runs on the copied bytes, in
    /// whole words (eight filler bytes after the copy make the last word safe to read), so plain text
    /// costs one `memcpy` and a few instructions per eight bytes.
    @inline(__always)
    private mutating func appendIfPlain(_ utf8: UnsafeBufferPointer<UInt8>, _ set: ScanSet) -> Bool {
        let n = utf8.count
        guard n > 0, let source = utf8.baseAddress else { return false }
        let destination = reserve(n + 8)
        destination.update(from: source, count: n)
        UnsafeMutableRawPointer(destination + n).storeBytes(of: Self.filler, as: UInt64.self)
        var offset = 0
        while offset < n {
            if Self.wordHasSpecialByte(UnsafeRawPointer(destination + offset).loadUnaligned(as: UInt64.self), set) {
                return false
            }
            offset += 8
        }
        commit(n)
        return true
    }

    /// The lanes of sixteen bytes that may be ones `set` stops at: the sign bit of a lane is set for
    /// every such byte, and also for every byte with the high bit set (most of them harmless UTF-8,
    /// which the exact word test then settles). Written with operations that compile to vector
    /// instructions (the standard library's `.<` on SIMD vectors does not).
    @inline(__always)
    package static func specialLanes(_ bytes: SIMD16<Int8>, _ set: ScanSet) -> SIMD16<Int8> {
        var equal = SIMDMask<SIMD16<Int8>>(repeating: false)
        equal .|= bytes .== SIMD16(repeating: 0x7F)
        switch set {
        case .lineBreaking:
            break
        case .lineBreakingAndQuotes:
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "\"")))
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "\\")))
        case .bare:
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "\"")))
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "\\")))
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "=")))
        case .key:
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "\"")))
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "\\")))
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "=")))
            equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "%")))
        }
        // Below the bound (space included for bare words and keys) or negative, that is, high bit set.
        let below = (bytes &- SIMD16(repeating: set == .bare || set == .key ? 0x21 : 0x20)) | bytes
        return unsafeBitCast(equal, to: SIMD16<Int8>.self) | below
    }

    /// The lanes of sixteen bytes holding a space or `=`, which a text or logfmt value must be quoted
    /// for (sign bit set).
    @inline(__always)
    package static func quotingLanes(_ bytes: SIMD16<Int8>) -> SIMD16<Int8> {
        var equal = SIMDMask<SIMD16<Int8>>(repeating: false)
        equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: " ")))
        equal .|= bytes .== SIMD16(repeating: Int8(UInt8(ascii: "=")))
        return unsafeBitCast(equal, to: SIMD16<Int8>.self)
    }

    /// Eight bytes that no scan stops at ("aaaaaaaa").
    package static var filler: UInt64 { 0x6161_6161_6161_6161 }

    /// Whether a value can be written unquoted in text and logfmt.
    package static func isBareWord(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        !utf8.isEmpty && firstSpecialByte(in: utf8, from: 0, .bare) == utf8.count
    }

    /// Which bytes a scan stops at.
    package enum ScanSet {
        /// Controls, DEL and the lead bytes of C1 controls, of U+061C and of U+2000…U+206F.
        case lineBreaking
        /// The same plus `"` and `\`.
        case lineBreakingAndQuotes
        /// The same plus space and `=`: what cannot appear in an unquoted logfmt value.
        case bare
        /// The same plus `%`: what a text or logfmt key shows percent-encoded.
        case key
    }

    /// The index of the first byte at or after `start` that a `set` scan stops at, or `utf8.count`.
    /// Reads eight bytes at a time: the common case (plain ASCII) costs a few instructions per word.
    @inline(__always)
    package static func firstSpecialByte(in utf8: UnsafeBufferPointer<UInt8>, from start: Int, _ set: ScanSet) -> Int {
        let n = utf8.count
        guard let base = utf8.baseAddress, start < n else { return n }
        var i = start
        while n - i >= 8 {
            if wordHasSpecialByte(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self), set) {
                return firstSpecialByte(in: base, from: i, to: i + 8, set)
            }
            i += 8
        }
        guard i < n else { return n }
        // The last partial word, padded with a byte no scan stops at.
        var word: UInt64 = 0x6161_6161_6161_6161
        withUnsafeMutableBytes(of: &word) { $0.baseAddress!.copyMemory(from: base + i, byteCount: n - i) }
        if !wordHasSpecialByte(word, set) {
            return n
        }
        return firstSpecialByte(in: base, from: i, to: n, set)
    }

    @inline(__always)
    private static func firstSpecialByte(in base: UnsafePointer<UInt8>, from start: Int, to end: Int, _ set: ScanSet)
        -> Int
    {
        var i = start
        while i < end && !isSpecial(base[i], set) {
            i += 1
        }
        return i
    }

    @inline(__always)
    private static func isSpecial(_ byte: UInt8, _ set: ScanSet) -> Bool {
        if byte < 0x20 || byte == 0x7F || byte == 0xC2 || byte == 0xE2 || byte == 0xD8 {
            return true
        }
        switch set {
        case .lineBreaking:
            return false
        case .lineBreakingAndQuotes:
            return byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
        case .bare:
            return byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: " ")
                || byte == UInt8(ascii: "=")
        case .key:
            return byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: " ")
                || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "%")
        }
    }

    package static var ones: UInt64 { 0x0101_0101_0101_0101 }
    package static var highs: UInt64 { 0x8080_8080_8080_8080 }

    /// Non-zero when some byte of `word` is zero (exact as a yes/no answer).
    @inline(__always)
    private static func hasZeroByte(_ word: UInt64) -> Bool {
        (word &- ones) & ~word & highs != 0
    }

    @inline(__always)
    package static func hasByte(_ word: UInt64, _ value: UInt8) -> Bool {
        hasZeroByte(word ^ (ones &* UInt64(value)))
    }

    @inline(__always)
    package static func wordHasSpecialByte(_ word: UInt64, _ set: ScanSet) -> Bool {
        // A byte below `bound` (bound <= 0x80): subtracting sets its high bit unless the byte had it.
        let bound: UInt64 = set == .bare || set == .key ? 0x21 : 0x20
        if (word &- ones &* bound) & ~word & highs != 0 {
            return true
        }
        // DEL or a byte with the high bit set: adding one makes DEL's high bit appear (a carry into
        // a byte comes only from a byte that already has it), so pure ASCII costs one test here.
        if (word &+ ones | word) & highs != 0 {
            if hasByte(word, 0x7F) || hasByte(word, 0xC2) || hasByte(word, 0xE2) || hasByte(word, 0xD8) {
                return true
            }
        }
        switch set {
        case .lineBreaking:
            return false
        case .lineBreakingAndQuotes:
            return hasByte(word, UInt8(ascii: "\"")) || hasByte(word, UInt8(ascii: "\\"))
        case .bare:
            return hasByte(word, UInt8(ascii: "\"")) || hasByte(word, UInt8(ascii: "\\"))
                || hasByte(word, UInt8(ascii: "="))
        case .key:
            return hasByte(word, UInt8(ascii: "\"")) || hasByte(word, UInt8(ascii: "\\"))
                || hasByte(word, UInt8(ascii: "=")) || hasByte(word, UInt8(ascii: "%"))
        }
    }

    /// The longest key, in UTF-8 bytes of the original, that text and logfmt show in full.
    package static let maxKeyBytes = 256
    /// The longest key, in UTF-8 bytes, that JSON shows in full.
    package static let maxJSONKeyBytes = 1024

    /// Appends a metadata key for text and logfmt, where keys cannot be quoted.
    ///
    /// The mapping is injective: distinct keys never render alike, so a consumer never sees two
    /// values under one key. Every byte that could end the key or the line (space, `=`, `"`, `\`,
    /// controls, separators, bidi controls) and `%` itself are percent-encoded (`a b` → `a%20b`,
    /// `a%b` → `a%25b`); an empty key is a lone `%`. A key over 256 bytes is cut and ends in `%~`
    /// and a 64-bit FNV-1a hash of the whole key (no untruncated key contains `%~`). A key equal to
    /// one of `reserved` after any leading underscores gets one more underscore (`ts` → `_ts`,
    /// `_ts` → `__ts`).
    ///
    /// - Parameters:
    ///   - key: The metadata key.
    ///   - reserved: The format's own field names.
    @inline(__always)
    package mutating func appendKey(_ key: String, reserved: ReservedKeys = .none) {
        Self.withUTF8(key) { appendKey($0, reserved: reserved) }
    }

    @inline(__always)
    package mutating func appendKey(_ utf8: UnsafeBufferPointer<UInt8>, reserved: ReservedKeys = .none) {
        if !reserved.isEmpty && reserved.shadows(utf8) {
            append(UInt8(ascii: "_"))
        }
        if utf8.count <= Self.maxKeyBytes && appendIfPlain(utf8, .key) {
            return
        }
        appendEncodedKey(utf8)
    }

    @inline(never)
    private mutating func appendEncodedKey(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard !utf8.isEmpty else {
            append(UInt8(ascii: "%"))
            return
        }
        var n = min(utf8.count, Self.maxKeyBytes)
        while n < utf8.count && n > 0 && utf8[n] & 0xC0 == 0x80 {
            n -= 1  // cut at a character boundary
        }
        var i = 0
        while i < n {
            let byte = utf8[i]
            var length = Self.escapeSequenceLength(utf8, at: i)
            if length == 0 && Self.isSpecial(byte, .key) && byte < 0x80 {
                length = 1
            }
            if length == 0 {
                append(byte)
                i += 1
                continue
            }
            for offset in 0..<length {
                append(UInt8(ascii: "%"))
                appendHex(UInt32(utf8[i + offset]), digits: 2, uppercase: true)
            }
            i += length
        }
        if n < utf8.count {
            append("%~")
            appendHex(Self.keyHash(utf8), digits: 16)
        }
    }

    /// Appends a metadata key JSON-escaped (without the quotes). Escaping is injective; a key over
    /// 1,024 bytes is cut and followed by `…[truncated, N bytes, fnv1a H]` with a 64-bit hash of the
    /// whole key, so two long keys stay apart (a truncated key decodes to more than 1,024 bytes, so
    /// it never matches a key shown in full). A key equal to one of `reserved` after any leading
    /// underscores gets one more underscore.
    ///
    /// - Parameters:
    ///   - key: The metadata key.
    ///   - reserved: Names the format uses for its own fields at the same level.
    package mutating func appendEscapedKey(_ key: String, reserved: ReservedKeys = .none) {
        Self.withUTF8(key) { appendEscapedKey($0, reserved: reserved) }
    }

    package mutating func appendEscapedKey(_ utf8: UnsafeBufferPointer<UInt8>, reserved: ReservedKeys = .none) {
        if !reserved.isEmpty && reserved.shadows(utf8) {
            append(UInt8(ascii: "_"))
        }
        guard utf8.count > Self.maxJSONKeyBytes else {
            appendEscaped(utf8, .json, limit: .max)
            return
        }
        var n = Self.maxJSONKeyBytes
        while n > 0 && utf8[n] & 0xC0 == 0x80 {
            n -= 1
        }
        appendEscaped(UnsafeBufferPointer(rebasing: utf8[0..<n]), .json, limit: .max)
        append("…[truncated, ")
        appendInteger(utf8.count)
        append(" bytes, fnv1a ")
        appendHex(Self.keyHash(utf8), digits: 16)
        append(UInt8(ascii: "]"))
    }

    /// FNV-1a, 64 bits, of a whole key: what keeps cut keys apart.
    package static func keyHash(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }

    /// Field names a format writes itself, which metadata keys must not shadow.
    package struct ReservedKeys: Sendable {
        private let names: [[UInt8]]

        package init(_ names: [String]) {
            self.names = names.map { Array($0.utf8) }
        }

        /// No reserved names.
        package static let none = ReservedKeys([])
        /// logfmt's fixed keys.
        package static let logfmt = ReservedKeys(["ts", "level", "label", "msg", "source"])

        package var isEmpty: Bool { names.isEmpty }

        /// Whether `key` is a reserved name after any number of leading underscores.
        package func shadows(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
            var start = 0
            while start < key.count && key[start] == UInt8(ascii: "_") {
                start += 1
            }
            let rest = key.count - start
            for name in names where name.count == rest {
                var equal = true
                for offset in 0..<rest where key[start + offset] != name[offset] {
                    equal = false
                    break
                }
                if equal {
                    return true
                }
            }
            return false
        }
    }

    /// The length of the sequence at `i` that must be escaped (0 if the byte is safe), ignoring the
    /// ASCII quote and backslash, which depend on the style.
    @inline(__always)
    private static func escapeSequenceLength(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let byte = utf8[i]
        if byte < 0x20 || byte == 0x7F {
            return 1
        }
        if byte == 0xC2, i + 1 < utf8.count, (0x80...0x9F).contains(utf8[i + 1]) {
            return 2  // C1 control, U+0080...U+009F
        }
        if byte == 0xD8, i + 1 < utf8.count, utf8[i + 1] == 0x9C {
            return 2  // U+061C arabic letter mark (a bidi control)
        }
        if byte == 0xE2, i + 2 < utf8.count {
            let second = utf8[i + 1]
            let third = utf8[i + 2]
            if second == 0x80 && (third == 0x8E || third == 0x8F) {
                return 3  // U+200E, U+200F left-to-right and right-to-left marks (bidi controls)
            }
            if second == 0x80 && (0xA8...0xAE).contains(third) {
                return 3  // U+2028, U+2029 separators and U+202A...U+202E bidi controls
            }
            if second == 0x81 && (0xA6...0xA9).contains(third) {
                return 3  // U+2066...U+2069 bidi isolates
            }
        }
        return 0
    }

    /// The scalar value of an escape sequence found by `escapeSequenceLength` (UTF-8 decoding of a
    /// one-, two- or three-byte sequence).
    @inline(__always)
    private static func scalar(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int, length: Int) -> UInt32 {
        switch length {
        case 1: UInt32(utf8[i])
        case 2: UInt32(utf8[i] & 0x1F) << 6 | UInt32(utf8[i + 1] & 0x3F)
        default: UInt32(utf8[i] & 0x0F) << 12 | UInt32(utf8[i + 1] & 0x3F) << 6 | UInt32(utf8[i + 2] & 0x3F)
        }
    }

    /// Copies runs of plain bytes in one go and escapes what lies between them.
    private mutating func appendEscapedBytes(_ utf8: UnsafeBufferPointer<UInt8>, _ kind: EscapeStyle.Kind) {
        let set: ScanSet = kind == .text ? .lineBreaking : .lineBreakingAndQuotes
        let n = utf8.count
        var runStart = 0
        var i = 0
        while true {
            i = Self.firstSpecialByte(in: utf8, from: i, set)
            guard i < n else { break }
            let byte = utf8[i]
            let length =
                byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                ? 1 : Self.escapeSequenceLength(utf8, at: i)
            if length == 0 {
                i += 1  // a harmless character that merely starts with 0xC2 or 0xE2
                continue
            }
            if runStart < i {
                append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
            }
            appendEscape(Self.scalar(utf8, at: i, length: length), kind)
            i += length
            runStart = i
        }
        if runStart < n {
            append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n]))
        }
    }

    private mutating func appendEscape(_ scalar: UInt32, _ kind: EscapeStyle.Kind) {
        append(UInt8(ascii: "\\"))
        switch scalar {
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        case 0x22: append(UInt8(ascii: "\""))
        case 0x5C: append(UInt8(ascii: "\\"))
        case 0x08 where kind != .text: append(UInt8(ascii: "b"))
        case 0x0C where kind != .text: append(UInt8(ascii: "f"))
        case ..<0x80 where kind == .text:
            append(UInt8(ascii: "x"))
            appendHex(scalar, digits: 2)
        default:
            append(UInt8(ascii: "u"))
            appendHex(scalar, digits: 4)
        }
    }

    private mutating func appendHex(_ value: UInt32, digits: Int, uppercase: Bool = false) {
        appendHex(UInt64(value), digits: digits, uppercase: uppercase)
    }

    private mutating func appendHex(_ value: UInt64, digits: Int, uppercase: Bool = false) {
        let hex: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            append(hex.utf8Start[Int((value >> UInt64(shift)) & 0xF)])
        }
    }
}
