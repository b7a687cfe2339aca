import Foundation
import Sluice
import SluicePostgres
import Testing

/// A small seeded generator, so every run checks the same hostile records.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// Records made to break encoders: NUL, quotes, backslashes, separators, emoji, long text, deep or
/// odd metadata, extreme timestamps and sequence numbers.
struct HostileRecords {
    var random: SeededRandom

    private static let pieces = [
        "", "\u{0}", "\"", "\\", "'", "\n", "\r\n", "\t", "é", "🎉", "\u{2028}", "\u{202E}", "\u{FEFF}", "x", "\\u0000",
        "{\"a\":1}", "${jndi:ldap://x}", "|", ",", "\u{7F}", "\u{1B}[31m",
    ]

    mutating func text(maxPieces: Int = 12) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 0...maxPieces, using: &random) {
            if Int.random(in: 0..<20, using: &random) == 0 {
                text += String(repeating: "y", count: Int.random(in: 0...2_000, using: &random))
            } else {
                text += Self.pieces.randomElement(using: &random)!
            }
        }
        return text
    }

    mutating func value(depth: Int = 0) -> LogMetadataValue {
        switch Int.random(in: 0..<(depth > 36 ? 4 : 6), using: &random) {
        case 0: return .string(text())
        case 1:
            return .integer(
                [Int.min, Int.max, 0, -1, Int.random(in: -1_000...1_000, using: &random)].randomElement(using: &random)!
            )
        case 2:
            return .double(
                [.nan, .infinity, -.infinity, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1.5]
                    .randomElement(using: &random)!)
        case 3: return .bool(Bool.random(using: &random))
        case 4: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in value(depth: depth + 1) })
        default: return .dictionary(metadata(depth: depth + 1))
        }
    }

    mutating func metadata(depth: Int = 0) -> LogMetadata {
        var metadata = LogMetadata()
        for index in 0..<Int.random(in: 0...4, using: &random) {
            metadata["\(index)\(text(maxPieces: 3))"] = value(depth: depth)
        }
        return metadata
    }

    mutating func record() -> LogRecord {
        let nanoseconds: Int64 = [
            0, -1, 999, -999, 1_000, -1_000, Int64.random(in: -(1 << 62)...(1 << 62), using: &random),
            LogTimestamp.now().nanosecondsSinceEpoch,
        ].randomElement(using: &random)!
        return LogRecord(
            timestamp: LogTimestamp(nanosecondsSinceEpoch: nanoseconds),
            level: LogLevel.allCases.randomElement(using: &random)!,
            label: text(),
            message: text(maxPieces: 40),
            metadata: metadata(),
            source: LogSource(
                file: text(maxPieces: 3), function: text(maxPieces: 3),
                line: UInt.random(in: 0...UInt.max, using: &random)),
            sequence: [0, 1, UInt64.max, UInt64.random(in: 0...UInt64.max, using: &random)].randomElement(
                using: &random)!)
    }
}

/// PostgreSQL's binary COPY format, read back by a decoder written from the protocol documentation.
enum BinaryCopyDecoder {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The tuples, each a list of fields (`nil` for NULL).
    static func decode(_ bytes: ArraySlice<UInt8>) throws -> [[[UInt8]?]] {
        var cursor = bytes.startIndex
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, bytes.endIndex - cursor >= count else {
                throw Malformed(description: "truncated at \(cursor)")
            }
            defer { cursor += count }
            return bytes[cursor..<cursor + count]
        }
        func integer(_ size: Int) throws -> Int64 {
            let raw = try take(size).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let shift = UInt64(64 - size * 8)
            return Int64(bitPattern: raw << shift) >> Int64(shift)  // sign-extended
        }
        guard Array(try take(11)) == [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00] else {
            throw Malformed(description: "bad signature")
        }
        guard try integer(4) == 0 else { throw Malformed(description: "flags") }
        _ = try take(Int(try integer(4)))
        var tuples: [[[UInt8]?]] = []
        while true {
            let fields = try integer(2)
            if fields == -1 {
                guard cursor == bytes.endIndex else { throw Malformed(description: "bytes after the trailer") }
                return tuples
            }
            var tuple: [[UInt8]?] = []
            for _ in 0..<fields {
                let length = try integer(4)
                tuple.append(length == -1 ? nil : Array(try take(Int(length))))
            }
            tuples.append(tuple)
        }
    }

    static func integer(_ field: [UInt8]?) -> Int64? {
        guard let field else { return nil }
        let raw = field.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let shift = UInt64(64 - field.count * 8)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }
}

/// What the sink promises to store for `text`: cut at a character boundary after `limit` bytes,
/// then each NUL as U+FFFD, then the marker.
func expectedPostgresText(_ text: String, limit: Int) -> String {
    var utf8 = Array(text.utf8)
    let original = utf8.count
    if original > limit {
        var end = limit
        while end > 0 && utf8[end] & 0xC0 == 0x80 {
            end -= 1
        }
        utf8 = Array(utf8[..<end])
    }
    var result = String(decoding: utf8, as: UTF8.self).replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    if original > limit {
        result += "…[truncated, \(original) bytes]"
    }
    return result
}

/// Whether a parsed JSON value holds a NUL in any key or string.
func containsNUL(_ value: Any) -> Bool {
    switch value {
    case let string as String: string.contains("\u{0}")
    case let array as [Any]: array.contains(where: containsNUL)
    case let object as [String: Any]: object.contains { containsNUL($0.key) || containsNUL($0.value) }
    default: false
    }
}

@Suite struct PostgresCopyEncodingTests {
    @Test(arguments: [(64, false, false), (1_000, true, true), (64 * 1024, true, false)])
    func hostileRecordsEncodeToWellFormedBinaryCopyThatDecodesToWhatWasPromised(
        limit: Int, includeSource: Bool, partitioned: Bool
    ) throws {
        var hostile = HostileRecords(random: SeededRandom(seed: UInt64(limit)))
        var encoder = PostgresCopyEncoder(
            maxMessageBytes: limit, includeSource: includeSource, partitioned: partitioned)
        for round in 0..<60 {
            let records = (0..<Int.random(in: 0...40, using: &hostile.random)).map { _ in hostile.record() }
            let tag = UInt64(round) &* 0x1_0000_0001
            let payload = encoder.encode(records, tag: tag)
            let batch = try #require(PostgresBatch(payload))
            #expect(batch.tag == tag && batch.records == records.count)
            #expect(
                batch.days == (partitioned ? Set(records.map { PostgresBatch.day(of: $0.timestamp) }).sorted() : []))
            let tuples = try BinaryCopyDecoder.decode(payload.bytes[batch.copyOffset...])
            #expect(tuples.count == records.count)
            for (tuple, record) in zip(tuples, records) {
                try check(tuple, record, limit: limit, includeSource: includeSource)
            }
        }
    }

    /// Found by FuzzPostgresCopy: a timestamp within a day of `Int64.min` trapped (arithmetic
    /// overflow) while the encoder worked out its day, and one within a microsecond of it while it
    /// worked out the time.
    @Test(arguments: [false, true])
    func timestampsAtTheEndsOfTheRangeEncodeRoundedDown(partitioned: Bool) throws {
        let nanoseconds: [Int64] = [.min, .min + 1, .min + 999, .min + 1_000, -1, 0, .max]
        let records = nanoseconds.map {
            LogRecord(timestamp: LogTimestamp(nanosecondsSinceEpoch: $0), level: .info, label: "l", message: "m")
        }
        var encoder = PostgresCopyEncoder(maxMessageBytes: 1_024, includeSource: false, partitioned: partitioned)
        let payload = encoder.encode(records, tag: 1)
        let batch = try #require(PostgresBatch(payload))
        #expect(batch.days == (partitioned ? [-106_752, -1, 0, 106_751] : []))
        let tuples = try BinaryCopyDecoder.decode(payload.bytes[batch.copyOffset...])
        // Microseconds since 2000-01-01, rounded down.
        #expect(
            tuples.map { BinaryCopyDecoder.integer($0[0]) } == [
                -10_170_056_836_854_776, -10_170_056_836_854_776, -10_170_056_836_854_775, -10_170_056_836_854_775,
                -946_684_800_000_001, -946_684_800_000_000, 8_276_687_236_854_775,
            ])
    }

    /// Found by FuzzPostgresCopy: NUL became U+FFFD in keys too, so `"a\u{0}"` and `"a\u{FFFD}"`
    /// turned into one `jsonb` key, which keeps one member per key: one value was lost.
    @Test func metadataKeysThatDifferOnlyByNULStayApartInJSONB() throws {
        let record = LogRecord(
            level: .info, label: "l", message: "m",
            metadata: ["a\u{0}": 1, "a\u{FFFD}": 2, "nested": ["\u{0}": 3, "\u{FFFD}": 4], "\\u0000": 5])
        var encoder = PostgresCopyEncoder(maxMessageBytes: 1_024, includeSource: false, partitioned: false)
        let payload = encoder.encode([record], tag: 1)
        let batch = try #require(PostgresBatch(payload))
        let tuples = try BinaryCopyDecoder.decode(payload.bytes[batch.copyOffset...])
        let jsonb = try #require(tuples.first?[4])
        #expect(jsonb.first == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(jsonb.dropFirst())) as? [String: Any])
        #expect(object.count == 4, "\(object)")
        #expect(object["a\u{FFFD}"] as? Int == 2)
        #expect(object["\\u0000"] as? Int == 5, "an escaped backslash is no NUL")
        let marked = object.filter { $0.key.hasPrefix("a\u{FFFD}…[NUL replaced, fnv1a ") }
        #expect(marked.count == 1 && marked.first?.value as? Int == 1)
        #expect((object["nested"] as? [String: Any])?.count == 2)
    }

    /// The partitions of the first and last days a timestamp can fall on span the right day (their
    /// bounds once wrapped around `Int64`).
    @Test func partitionsOfTheFirstAndLastDaysSpanTheirDay() {
        #expect(PostgresSchema.dayStart(-106_752) == "1677-09-21T00:00:00Z")
        #expect(PostgresSchema.dayStart(-106_751) == "1677-09-22T00:00:00Z")
        #expect(PostgresSchema.dayStart(0) == "1970-01-01T00:00:00Z")
        #expect(PostgresSchema.dayStart(106_751) == "2262-04-11T00:00:00Z")
        #expect(PostgresSchema.dayStart(106_752) == "2262-04-12T00:00:00Z")
    }

    private func check(_ tuple: [[UInt8]?], _ record: LogRecord, limit: Int, includeSource: Bool) throws {
        #expect(tuple.count == PostgresSchema.copiedColumns.count)
        let nanoseconds = record.timestamp.nanosecondsSinceEpoch
        let quotient = nanoseconds / 1_000
        let microseconds = nanoseconds % 1_000 < 0 ? quotient - 1 : quotient
        #expect(tuple[0]?.count == 8 && BinaryCopyDecoder.integer(tuple[0]) == microseconds - 946_684_800_000_000)
        #expect(tuple[1]?.count == 2 && BinaryCopyDecoder.integer(tuple[1]) == Int64(record.level.rawValue))
        for (field, text, fieldLimit) in [(tuple[2], record.label, 1_024), (tuple[3], record.message, limit)] {
            let bytes = try #require(field)
            #expect(!bytes.contains(0), "text cannot hold NUL")
            #expect(String(validating: bytes, as: UTF8.self) == expectedPostgresText(text, limit: fieldLimit))
        }
        if record.hasMetadata {
            let jsonb = try #require(tuple[4])
            #expect(jsonb.first == 1, "jsonb's version byte")
            let json = Array(jsonb.dropFirst())
            #expect(!json.contains(0))
            let object = try JSONSerialization.jsonObject(with: Data(json))
            #expect((object as? [String: Any])?.count == record.metadata.count, "one member per key")
            #expect(!containsNUL(object), "jsonb cannot hold \\u0000, escaped or not")
        } else {
            #expect(tuple[4] == nil)
        }
        if includeSource {
            #expect(
                String(validating: try #require(tuple[5]), as: UTF8.self)
                    == expectedPostgresText(record.source.file, limit: 1_024))
            #expect(BinaryCopyDecoder.integer(tuple[7]) == Int64(min(record.source.line, UInt(Int32.max))))
        } else {
            #expect(tuple[5] == nil && tuple[6] == nil && tuple[7] == nil)
        }
        #expect(BinaryCopyDecoder.integer(tuple[8]) == Int64(bitPattern: record.sequence))
    }
}
