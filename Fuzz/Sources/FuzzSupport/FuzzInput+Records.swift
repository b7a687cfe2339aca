@_spi(Fuzzing) import Sluice

/// Records aimed at the record path and the formats' fast path: strings that are almost plain
/// (one special sequence where the 8- and 16-byte scans split), keys at the formats' length limits
/// and shadowing their reserved names, the same keys in several metadata layers, deep nesting around
/// the cut at depth 32, non-finite doubles, extreme integers and timestamps.
///
/// Each choice takes a byte or a few, so a short input still makes a record with most of these.
extension FuzzInput {
    /// Bytes no scan stops at.
    static let plainBytes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:".utf8)

    /// Sequences the fast paths must notice (or, for some, must let through): DEL, C1 controls, the
    /// separators and bidi controls, what quoting and keys stop at, harmless characters whose lead
    /// byte the coarse scans flag (0xC2, 0xE2, 0xD8), and canonically equivalent spellings.
    public static let specials = [
        "\u{7F}", "\u{85}", "\u{80}", "\u{9F}", "\u{2028}", "\u{2029}", "\u{61C}", "\u{200F}", "\u{202E}", "\u{2066}",
        "%", "=", "\"", "\\", " ", "\n", "\r", "\t", "\u{0}", "\u{1B}", "\u{A2}", "\u{20AC}", "\u{627}", "\u{2030}",
        "é", "e\u{301}", "\u{FEFF}", "🙂", "\u{FFFD}", "_", "\u{A0}",
    ]

    /// Lengths around the boundaries of the 8- and 16-byte scans, the 255-byte short length, the
    /// 256-byte key limit and the 1,024-byte label and JSON key limits.
    static let boundaryLengths = [
        0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 63, 64, 65, 127, 128, 254, 255, 256, 257, 1023, 1024, 1025,
    ]

    /// Lengths past the fast path's 16 KiB record limit and the default 64 KiB message limit.
    static let hugeLengths = [4096, 16 * 1024 - 100, 16 * 1024, 64 * 1024, 64 * 1024 + 1]

    /// Where a special sequence goes: where the scans split, and the end.
    static let specialPositions = [0, 7, 8, 15, 16, 31, -1]

    /// A string of plain bytes of a boundary length (rarely a huge one) with, usually, one special
    /// sequence starting at a split of the scans or ending at the string's end.
    public mutating func almostPlainString() -> String {
        let lengthByte = byte()
        let length =
            lengthByte == 255
            ? Self.hugeLengths[below(Self.hugeLengths.count)]
            : Self.boundaryLengths[Int(lengthByte) % Self.boundaryLengths.count]
        let phase = Int(byte())
        var bytes = (0..<length).map { Self.plainBytes[(phase &+ $0) % Self.plainBytes.count] }
        let choice = byte()
        guard choice % 4 != 0 else { return String(decoding: bytes, as: UTF8.self) }
        let special = Array(Self.specials[Int(choice / 4) % Self.specials.count].utf8)
        let wanted = Self.specialPositions[below(Self.specialPositions.count)]
        let position = wanted < 0 ? bytes.count - special.count : wanted
        if position >= 0 && position + special.count <= bytes.count {
            bytes.replaceSubrange(position..<(position + special.count), with: special)
        } else {
            bytes += special
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Any string: raw bytes (invalid UTF-8 becomes U+FFFD), almost plain, or special sequences run
    /// together.
    public mutating func hostileString(maxBytes: Int = 2_000) -> String {
        switch below(5) {
        case 0, 1: return string(maxBytes: maxBytes)
        case 2, 3: return almostPlainString()
        default: return (0..<below(6)).map { _ in Self.specials[below(Self.specials.count)] }.joined()
        }
    }

    /// Keys that every layer draws from, so layers collide; canonically equivalent spellings
    /// (`é` and `e` + U+0301; `Å`, `A` + U+030A and the Ångström sign; `K` and the Kelvin sign; `;`
    /// and the Greek question mark) are equal Swift strings.
    static let sharedKeys = [
        "k", "request_id", "é", "e\u{301}", "Å", "A\u{30A}", "\u{212B}", "", "ts", "_ts", "a b", "x=y", "\u{0}",
        "\u{FFFD}", "msg", "level", "K", "\u{212A}", ";", "\u{37E}",
    ]

    /// The fixed keys of logfmt, which a metadata key must not shadow.
    static let reservedKeys = ["ts", "level", "label", "msg", "source"]

    /// A metadata key.
    public mutating func key() -> String {
        switch below(8) {
        case 0: return string(maxBytes: 1_100)
        case 1, 2: return almostPlainString()
        case 3:
            let underscores = String(repeating: "_", count: below(4))
            let suffix = bool() ? "" : Self.specials[below(Self.specials.count)]
            return underscores + Self.reservedKeys[below(Self.reservedKeys.count)] + suffix
        case 4:
            // At the text and logfmt key limit (256), the short-length limit (255) and JSON's (1,024).
            let length = [254, 255, 256, 257, 1_023, 1_024, 1_025][below(7)]
            var key = String(repeating: "k", count: length)
            if bool() {
                key.removeLast()
                key += Self.specials[below(Self.specials.count)]
            }
            return key
        default: return Self.sharedKeys[below(Self.sharedKeys.count)]
        }
    }

    /// Doubles a format must render with care.
    static let doubles: [Double] = [
        .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF8_0000_0000_0001), .infinity, -.infinity, -0.0, 0,
        .greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNormalMagnitude, 1e16, 1e-7, 0.1, 1.5,
    ]

    /// Integers at the ends of the range and around the fast path's one-digit shortcut.
    static let integers = [Int.min, Int.min + 1, Int.max, 0, -1, 9, 10, -10, 99, 100]

    /// A metadata value; arrays and dictionaries nest at most a few levels, except for a chain that
    /// nests 0 to 39 levels deep (around the cut at 32).
    public mutating func hostileValue(depth: Int = 0) -> LogMetadataValue {
        switch below(depth < 4 ? 12 : 8) {
        case 0: return .integer(bool() ? Self.integers[below(Self.integers.count)] : Int(int64()))
        case 1:
            return .double(
                bool() ? Self.doubles[below(Self.doubles.count)] : Double(bitPattern: UInt64(bitPattern: int64())))
        case 2: return .bool(bool())
        case 3, 4, 5, 6: return .string(hostileString())
        case 7: return .string("")
        case 8: return .array((0..<below(4)).map { _ in hostileValue(depth: depth + 1) })
        case 9: return .dictionary(layer(depth: depth + 1))
        default:
            var value = LogMetadataValue.string(Self.specials[below(Self.specials.count)])
            let shape = int64()
            for level in 0..<below(40) {
                value = (shape >> (level % 64)) & 1 == 0 ? .array([value]) : .dictionary([key(): value])
            }
            return value
        }
    }

    /// One metadata layer: empty, a few hostile pairs, about a hundred one-byte keys with booleans
    /// (the densest metadata the fast path writes), or 250 to 259 keys (the count's length field
    /// grows at 255).
    public mutating func layer(depth: Int = 0) -> LogMetadata {
        var metadata = LogMetadata()
        switch below(depth == 0 ? 10 : 6) {
        case 0: break
        case 6, 7:
            let count = 60 + below(40)
            let printable = (0x20...0x7E).map { String(UnicodeScalar(UInt8($0))) }
            let start = below(printable.count)
            for index in 0..<count {
                metadata[printable[(start + index) % printable.count]] =
                    index % 3 == 0 ? .integer(-index) : .bool(false)
            }
        case 8:
            let count = 250 + below(10)
            for index in 0..<count {
                metadata["k\(index)"] = index % 2 == 0 ? .bool(true) : .string("v\(index)")
            }
        default:
            for _ in 0..<below(6) {
                let key = key()
                metadata[key] = hostileValue(depth: depth)
            }
        }
        return metadata
    }

    /// Timestamps at the ends of `Int64` and of the rendered years.
    static let timestamps: [Int64] = [
        .min, .min + 1, .min + 999, .min + 1_000, .min + 999_999_999, .min + 1_000_000_000, .min + 86_400_000_000_000,
        -86_400_000_000_001, -1_000_000_001, -1_000_000_000, -999_999_999, -1, 0, 1, 999_999_999,
        1_795_435_200_999_999_999, .max - 999_999_999, .max - 1, .max,
    ]

    /// A record with metadata in the three layers, often sharing keys, from hostile strings.
    public mutating func layeredRecord() -> LogRecord {
        let timestamp: Int64 =
            switch below(3) {
            case 0: Self.timestamps[below(Self.timestamps.count)]
            case 1: int64()
            default: 1_795_435_200_000_000_000 &+ int64() % 86_400_000_000_000
            }
        let level = level()
        let label = hostileString(maxBytes: 1_100)
        let message = hostileString(maxBytes: 4_000)
        let file = bool() ? "Sources/App/File.swift" : hostileString(maxBytes: 300)
        let function = bool() ? "handle(_:)" : hostileString(maxBytes: 300)
        let line = bool() ? UInt(byte()) : UInt(bitPattern: Int(int64()))
        let sequence = UInt64(bitPattern: int64())
        let call = layer()
        var logger = layer()
        var context = layer()
        // Give other layers some of the call site's keys (and the context some of the logger's).
        let sharing = byte()
        for (index, pair) in call.enumerated() where sharing & (1 << (index % 8)) != 0 {
            if index % 2 == 0 {
                logger[pair.key] = hostileValue()
            } else {
                context[pair.key] = hostileValue()
            }
        }
        for (index, pair) in logger.enumerated() where sharing & (1 << ((index + 3) % 8)) != 0 {
            context[pair.key] = hostileValue()
        }
        return SluiceFuzzing.record(
            timestamp: LogTimestamp(nanosecondsSinceEpoch: timestamp), level: level, label: label, message: message,
            source: LogSource(file: file, function: function, line: line), sequence: sequence,
            layers: SluiceFuzzing.MetadataLayers(call: call, logger: logger, context: context))
    }
}
