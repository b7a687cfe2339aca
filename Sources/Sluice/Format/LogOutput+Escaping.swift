extension LogOutput {
    /// How ``LogOutput/appendEscaped(_:_:limit:)`` makes untrusted text safe.
    ///
    /// Every style escapes what could break a record out of its line or fool a terminal: C0 controls
    /// (including CR, LF, NUL and ESC), DEL, C1 controls, the Unicode line and paragraph separators
    /// and the bidirectional overrides. Text is always data: nothing is interpreted.
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
    public mutating func appendEscaped(_ text: String, _ style: EscapeStyle, limit: Int = .max) {
        var text = text
        text.withUTF8 { utf8 in
            var end = utf8.count
            let truncated = end > limit
            if truncated {
                end = max(limit, 0)
                // Step back to the start of a UTF-8 sequence.
                while end > 0 && utf8[end] & 0xC0 == 0x80 {
                    end -= 1
                }
            }
            appendEscapedBytes(UnsafeBufferPointer(rebasing: utf8[0..<end]), style.kind)
            if truncated {
                append("…[truncated, ")
                appendInteger(utf8.count)
                append(" bytes]")
            }
        }
    }

    /// Whether a logfmt/text value must be quoted: empty, or holding a space, `=`, a quote, a backslash,
    /// a control character or a character that needs escaping.
    package static func needsQuoting(_ text: String) -> Bool {
        if text.isEmpty {
            return true
        }
        for byte in text.utf8 {
            switch byte {
            case 0...0x20, UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x7F, 0xC2, 0xE2:
                return true
            default:
                continue
            }
        }
        return false
    }

    /// Appends a metadata key for text and logfmt, where keys cannot be quoted: any character that
    /// could end the key or the line (space, `=`, quotes, backslash, controls, separators) becomes `_`,
    /// an empty key becomes `_`, and keys are cut at 256 bytes.
    package mutating func appendKey(_ key: String) {
        var key = key
        key.withUTF8 { utf8 in
            guard !utf8.isEmpty else {
                append(UInt8(ascii: "_"))
                return
            }
            var n = min(utf8.count, 256)
            while n < utf8.count && utf8[n] & 0xC0 == 0x80 {
                n -= 1  // cut at a character boundary
            }
            var i = 0
            while i < n {
                let length = Self.escapeSequenceLength(utf8, at: i)
                let byte = utf8[i]
                if length > 0 || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "=")
                    || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                {
                    append(UInt8(ascii: "_"))
                    i += max(length, 1)
                } else {
                    append(byte)
                    i += 1
                }
            }
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
        if byte == 0xE2, i + 2 < utf8.count {
            let second = utf8[i + 1]
            let third = utf8[i + 2]
            if second == 0x80 && (0xA8...0xAE).contains(third) {
                return 3  // U+2028, U+2029 separators and U+202A...U+202E bidi controls
            }
            if second == 0x81 && (0xA6...0xA9).contains(third) {
                return 3  // U+2066...U+2069 bidi isolates
            }
        }
        return 0
    }

    /// The scalar value of an escape sequence found by `escapeSequenceLength`.
    @inline(__always)
    private static func scalar(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int, length: Int) -> UInt32 {
        switch length {
        case 1: UInt32(utf8[i])
        case 2: UInt32(utf8[i + 1])
        default: (utf8[i + 1] == 0x80 ? 0x2000 : 0x2040) + UInt32(utf8[i + 2] - 0x80)
        }
    }

    private mutating func appendEscapedBytes(_ utf8: UnsafeBufferPointer<UInt8>, _ kind: EscapeStyle.Kind) {
        var runStart = 0
        var i = 0
        let n = utf8.count
        while i < n {
            let byte = utf8[i]
            var length = 0
            if byte < 0x20 || byte == 0x7F || byte == 0xC2 || byte == 0xE2 {
                length = Self.escapeSequenceLength(utf8, at: i)
            } else if (byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")) && kind != .text {
                length = 1
            }
            if length == 0 {
                i += 1
                continue
            }
            if runStart < i {
                storage.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
            }
            appendEscape(Self.scalar(utf8, at: i, length: length), kind)
            i += length
            runStart = i
        }
        if runStart < n {
            storage.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n]))
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

    private mutating func appendHex(_ value: UInt32, digits: Int) {
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { table in
            for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                storage.append(table[Int((value >> UInt32(shift)) & 0xF)])
            }
        }
    }
}
