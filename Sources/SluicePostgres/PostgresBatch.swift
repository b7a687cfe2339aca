import Sluice

/// One batch as the delivery engine carries it to the transport: the sink's number for it, its
/// record count, the days it covers (for day partitions) and its rows in PostgreSQL's binary `COPY`
/// format, all in the payload's bytes.
///
/// Layout: `SLPG`, tag (8 bytes), records (4), day count (4), days (8 each), then the `COPY` data
/// (`PGCOPY\n\xff\r\n\0`, flags, header extension, one tuple per record, the trailer).
package struct PostgresBatch {
    /// The sink's number for the batch, unique for the sink's writer id.
    package var tag: UInt64
    package var records: Int
    /// Days since 1970-01-01 (UTC) of the batch's records, ascending; empty unless partitioned.
    package var days: [Int64]
    /// Where the `COPY` data starts in the payload's bytes.
    package var copyOffset: Int

    private static let magic: [UInt8] = Array("SLPG".utf8)

    /// Reads a payload the encoder made; `nil` for anything else.
    package init?(_ payload: DeliveryPayload) {
        let bytes = payload.bytes
        guard bytes.count >= 20, Array(bytes[0..<4]) == Self.magic else { return nil }
        func integer(at offset: Int, size: Int) -> UInt64 {
            bytes[offset..<offset + size].reduce(0) { $0 << 8 | UInt64($1) }
        }
        tag = integer(at: 4, size: 8)
        records = Int(integer(at: 12, size: 4))
        let dayCount = Int(integer(at: 16, size: 4))
        copyOffset = 20 + dayCount * 8
        guard bytes.count >= copyOffset else { return nil }
        days = (0..<dayCount).map { Int64(bitPattern: integer(at: 20 + $0 * 8, size: 8)) }
    }

    /// Days since 1970-01-01 UTC of a timestamp (rounded down, also before 1970).
    package static func day(of timestamp: LogTimestamp) -> Int64 {
        timestamp.nanosecondsSinceEpoch.dividedRoundingDown(by: 86_400_000_000_000)
    }
}

/// Encodes records into ``PostgresBatch`` payloads. Owned by the sink's actor; reuses its buffer.
package struct PostgresCopyEncoder: ~Copyable {
    private let maxMessageBytes: Int
    private let includeSource: Bool
    private let partitioned: Bool
    private var scratch = LogOutput(capacity: 4096)

    package init(maxMessageBytes: Int, includeSource: Bool, partitioned: Bool) {
        self.maxMessageBytes = maxMessageBytes
        self.includeSource = includeSource
        self.partitioned = partitioned
    }

    /// Microseconds between 1970-01-01 and 2000-01-01, PostgreSQL's epoch for `timestamptz`.
    private static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    package mutating func encode(_ records: [LogRecord], tag: UInt64) -> DeliveryPayload {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + records.count * 192)
        bytes += Array("SLPG".utf8)
        append(tag, to: &bytes)
        append(UInt32(records.count), to: &bytes)
        let days = partitioned ? Set(records.map { PostgresBatch.day(of: $0.timestamp) }).sorted() : []
        append(UInt32(days.count), to: &bytes)
        for day in days {
            append(UInt64(bitPattern: day), to: &bytes)
        }
        bytes += [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]  // PGCOPY\n\xff\r\n\0
        append(UInt32(0), to: &bytes)  // flags
        append(UInt32(0), to: &bytes)  // header extension length
        for record in records {
            append(UInt16(PostgresSchema.copiedColumns.count), to: &bytes)
            let nanoseconds = record.timestamp.nanosecondsSinceEpoch
            let microseconds = nanoseconds.dividedRoundingDown(by: 1_000)
            append(UInt32(8), to: &bytes)
            append(UInt64(bitPattern: microseconds &- Self.postgresEpochMicroseconds), to: &bytes)
            append(UInt32(2), to: &bytes)
            append(UInt16(record.level.rawValue), to: &bytes)
            appendText(record.label, limit: 1024, to: &bytes)
            appendText(record.message, limit: maxMessageBytes, to: &bytes)
            appendMetadata(record, to: &bytes)
            if includeSource {
                appendText(record.source.file, limit: 1024, to: &bytes)
                appendText(record.source.function, limit: 1024, to: &bytes)
                append(UInt32(4), to: &bytes)
                append(UInt32(truncatingIfNeeded: min(record.source.line, UInt(Int32.max))), to: &bytes)
            } else {
                for _ in 0..<3 {
                    append(UInt32.max, to: &bytes)  // -1: NULL
                }
            }
            append(UInt32(8), to: &bytes)
            append(record.sequence, to: &bytes)
        }
        append(UInt16.max, to: &bytes)  // -1: the trailer
        return DeliveryPayload(bytes: bytes, messageEnds: [bytes.count], records: records.count)
    }

    private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `text` field: the length, then the UTF-8 (NUL, which `text` cannot hold, becomes U+FFFD).
    private mutating func appendText(_ text: String, limit: Int, to bytes: inout [UInt8]) {
        scratch.removeAll()
        scratch.appendVerbatim(text, limit: limit, replacingNUL: true)
        append(UInt32(scratch.count), to: &bytes)
        scratch.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// A `jsonb` field (version byte 1, then the JSON text), or NULL without metadata. `jsonb` cannot
    /// hold `\u0000` either: it becomes `\ufffd`. A key that held NUL is also marked with
    /// `…[NUL replaced, fnv1a H]` (a hash of the whole key), because `jsonb` keeps one member per key
    /// and the replacement alone would make `"a\u0000"` and `"a\ufffd"` one key.
    private mutating func appendMetadata(_ record: LogRecord, to bytes: inout [UInt8]) {
        guard record.hasMetadata else {
            append(UInt32.max, to: &bytes)
            return
        }
        scratch.removeAll()
        scratch.appendJSONMetadata(of: record, limit: maxMessageBytes)
        let lengthAt = bytes.count
        append(UInt32(0), to: &bytes)
        bytes.append(1)
        scratch.withUnsafeBytes { json in
            let backslash = UInt8(ascii: "\\")
            let quote = UInt8(ascii: "\"")
            var index = 0
            var stringStart: Int?
            var stringHeldNUL = false
            while index < json.count {
                let byte = json[index]
                guard let start = stringStart else {
                    if byte == quote {
                        stringStart = index + 1
                        stringHeldNUL = false
                    }
                    bytes.append(byte)
                    index += 1
                    continue
                }
                if byte == quote {
                    // Only keys are followed by a colon in the JSON the helper writes.
                    if stringHeldNUL && index + 1 < json.count && json[index + 1] == UInt8(ascii: ":") {
                        let key = UnsafeRawBufferPointer(rebasing: json[start..<index])
                        bytes += Array("…[NUL replaced, fnv1a ".utf8)
                        let hash = String(LogOutput.keyHash(key.assumingMemoryBound(to: UInt8.self)), radix: 16)
                        bytes += Array((String(repeating: "0", count: 16 - hash.count) + hash + "]").utf8)
                    }
                    stringStart = nil
                    bytes.append(byte)
                    index += 1
                    continue
                }
                guard byte == backslash, index + 1 < json.count else {
                    bytes.append(byte)
                    index += 1
                    continue
                }
                // Inside a string every backslash starts an escape; only `\u0000` changes.
                if json[index + 1] == UInt8(ascii: "u"), index + 5 < json.count,
                    json[index + 2] == 0x30, json[index + 3] == 0x30, json[index + 4] == 0x30, json[index + 5] == 0x30
                {
                    bytes += Array("\\ufffd".utf8)
                    stringHeldNUL = true
                    index += 6
                } else {
                    bytes.append(byte)
                    bytes.append(json[index + 1])
                    index += 2
                }
            }
        }
        let length = UInt32(bytes.count - lengthAt - 4).bigEndian
        withUnsafeBytes(of: length) { bytes.replaceSubrange(lengthAt..<lengthAt + 4, with: $0) }
    }
}
