import Sluice

/// Reads a JSON line that names its level (`--parse-level`) into a structured record: level, message
/// and the other fields as typed metadata.
///
/// A line qualifies when it is one JSON object (RFC 8259, nested up to 32 levels, valid UTF-8) with
/// a `level`, `lvl`, `severity` or `log.level` field. The level is a word (`"warn"`, `"ERROR"`) or a
/// pino/bunyan number (10 trace, 20 debug, 30 info, 40 warning, 50 error, 60 critical); an
/// unknown level keeps the stream's level and the field. The message is `msg` or `message` (empty
/// when there is none). `null` values are left out, since metadata has no null; a repeated key keeps
/// its last value. Anything else is not
/// structured, and the caller writes the line as it is.
enum JSONLineParser {
    struct Parsed {
        var level: LogLevel?
        var message: String
        var metadata: LogMetadata
    }

    private static let maximumDepth = 32
    private static let levelKeys = ["level", "lvl", "severity", "log.level"]
    private static let messageKeys = ["msg", "message"]

    static func parse(_ line: UnsafeRawBufferPointer) -> Parsed? {
        var reader = Reader(bytes: line.assumingMemoryBound(to: UInt8.self))
        reader.skipSpace()
        guard reader.peek == UInt8(ascii: "{"), case .value(.dictionary(let object))? = reader.value(depth: 0) else {
            return nil
        }
        reader.skipSpace()
        guard reader.atEnd else { return nil }

        var pairs: [(String, LogMetadataValue)] = []
        var level: LogLevel?
        var foundLevel = false
        var message: String?
        for (key, value) in object.pairs {
            if !foundLevel && levelKeys.contains(key) {
                foundLevel = true
                if let parsed = Self.level(value) {
                    level = parsed
                    continue
                }
            } else if message == nil && messageKeys.contains(key), case .string(let text) = value {
                message = text
                continue
            }
            pairs.append((key, value))
        }
        guard foundLevel else { return nil }
        return Parsed(level: level, message: message ?? "", metadata: LogMetadata(pairs: pairs))
    }

    private static func level(_ value: LogMetadataValue) -> LogLevel? {
        switch value {
        case .string(let word):
            return LineLevelParser.levelWord(word)
        case .integer(let number):
            switch number {
            case 10: return .trace
            case 20: return .debug
            case 30: return .info
            case 40: return .warning
            case 50: return .error
            case 60: return .critical
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A JSON value: metadata has no null, so a null is kept apart and left out by its container.
    private enum Element {
        case null
        case value(LogMetadataValue)
    }

    /// A recursive-descent reader over the line's bytes.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = peek,
                byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
                    || byte == UInt8(ascii: "\n")
            {
                index += 1
            }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        mutating func value(depth: Int) -> Element? {
            guard depth <= JSONLineParser.maximumDepth else { return nil }
            skipSpace()
            switch peek {
            case UInt8(ascii: "{"):
                index += 1
                // Pairs are gathered first: LogMetadata(pairs:) settles repeated keys in one pass.
                var pairs: [(String, LogMetadataValue)] = []
                skipSpace()
                if expect(UInt8(ascii: "}")) {
                    return .value(.dictionary(LogMetadata()))
                }
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard expect(UInt8(ascii: ":")), let element = value(depth: depth + 1) else { return nil }
                    if case .value(let value) = element {
                        pairs.append((key, value))
                    }
                    skipSpace()
                    if expect(UInt8(ascii: "}")) {
                        return .value(.dictionary(LogMetadata(pairs: pairs)))
                    }
                    guard expect(UInt8(ascii: ",")) else { return nil }
                }
            case UInt8(ascii: "["):
                index += 1
                var elements: [LogMetadataValue] = []
                skipSpace()
                if expect(UInt8(ascii: "]")) {
                    return .value(.array(elements))
                }
                while true {
                    guard let element = value(depth: depth + 1) else { return nil }
                    if case .value(let value) = element {
                        elements.append(value)
                    }
                    skipSpace()
                    if expect(UInt8(ascii: "]")) {
                        return .value(.array(elements))
                    }
                    guard expect(UInt8(ascii: ",")) else { return nil }
                }
            case UInt8(ascii: "\""):
                return string().map { .value(.string($0)) }
            case UInt8(ascii: "t"):
                return literal("true") ? .value(.bool(true)) : nil
            case UInt8(ascii: "f"):
                return literal("false") ? .value(.bool(false)) : nil
            case UInt8(ascii: "n"):
                return literal("null") ? .null : nil
            default:
                return number().map { .value($0) }
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                return false
            }
            index += count
            return true
        }

        mutating func number() -> LogMetadataValue? {
            let start = index
            _ = expect(UInt8(ascii: "-"))
            guard let first = peek, isDigit(first) else { return nil }
            index += 1
            if first != UInt8(ascii: "0") {
                skipDigits()
            }
            var isInteger = true
            if expect(UInt8(ascii: ".")) {
                isInteger = false
                guard let digit = peek, isDigit(digit) else { return nil }
                skipDigits()
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") {
                    index += 1
                }
                guard let digit = peek, isDigit(digit) else { return nil }
                skipDigits()
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if isInteger, let integer = Int(text) {
                return .integer(integer)
            }
            return Double(text).map { .double($0) }
        }

        mutating func skipDigits() {
            while let byte = peek, isDigit(byte) {
                index += 1
            }
        }

        func isDigit(_ byte: UInt8) -> Bool {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }

        /// A JSON string; `nil` for bad escapes, raw control characters or invalid UTF-8.
        mutating func string() -> String? {
            guard expect(UInt8(ascii: "\"")) else { return nil }
            var text: [UInt8] = []
            while let byte = peek {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: text, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { return nil }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        text.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    text.append(byte)
                }
            }
            return nil
        }

        /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair; a lone
        /// surrogate becomes U+FFFD.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let high = hex4() else { return nil }
            if (0xD800...0xDBFF).contains(high) {
                let save = index
                if expect(UInt8(ascii: "\\")) && expect(UInt8(ascii: "u")), let low = hex4(),
                    (0xDC00...0xDFFF).contains(low)
                {
                    return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                }
                index = save
                return "\u{FFFD}"
            }
            return Unicode.Scalar(high) ?? "\u{FFFD}"
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }
    }
}
