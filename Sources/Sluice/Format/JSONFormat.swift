/// JSON Lines: one JSON object per line (RFC 8259 escaping).
///
/// ```
/// {"timestamp":"2026-11-23T12:00:00.123456Z","level":"info","label":"api","message":"request handled","metadata":{"status":200}}
/// ```
///
/// Keys: `timestamp` (RFC 3339, UTC), `level` (lowercase name), `label`, `message`, `metadata` (an
/// object, omitted when empty; numbers and booleans keep their types; non-finite doubles become the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"`), and optionally `source`
/// (`{"file":…,"function":…,"line":…}`) and `sequence`.
///
/// ```swift
/// let file = try FileSink(path: "logs/app.log", format: JSONFormat(includeSource: true))
/// ```
public struct JSONFormat: LogFormat, EncodedRecordFormat {
    /// Whether to add a `source` object.
    public var includeSource: Bool
    /// Whether to add the record's `sequence` number (gaps reveal drops).
    public var includeSequence: Bool
    /// Messages and string values longer than this many UTF-8 bytes are truncated with a marker.
    public var maxMessageBytes: Int
    /// Digits of the second's fraction, 0...9; default 6 (microseconds).
    public var fractionDigits: Int

    /// Creates a JSON Lines format.
    ///
    /// - Parameters:
    ///   - includeSource: Whether to add the source location; default `false`.
    ///   - includeSequence: Whether to add the sequence number; default `false`.
    ///   - maxMessageBytes: Truncation limit for messages and values; default 64 KiB.
    ///   - fractionDigits: Digits of the second's fraction; default 6.
    public init(
        includeSource: Bool = false,
        includeSequence: Bool = false,
        maxMessageBytes: Int = 64 * 1024,
        fractionDigits: Int = 6
    ) {
        self.includeSource = includeSource
        self.includeSequence = includeSequence
        self.maxMessageBytes = maxMessageBytes
        self.fractionDigits = fractionDigits
    }

    public func write(_ record: LogRecord, to output: inout LogOutput) {
        record.withEncoded { write($0, to: &output) }
    }

    package func write(_ record: EncodedRecord, to output: inout LogOutput) {
        let sections = record.sections
        if !writeFast(record, sections, to: &output) {
            writeGenerally(record, sections, to: &output)
        }
    }

    /// Writes `record` on the fast path when it can take it; returns false, with `output` as it was,
    /// when the record needs the general path.
    @inline(__always)
    package func writeFast(_ record: EncodedRecord, _ sections: EncodedRecord.Sections, to output: inout LogOutput)
        -> Bool
    {
        guard !includeSource && record.size < 16 * 1024 else { return false }
        let time = output.dateTimePrefix(of: record.timestamp)
        return output.withCursor(upperBound: fastPathReservation(record)) { cursor in
            writeFast(record, sections, time: time, to: &cursor)
        }
    }

    /// The bytes the fast path reserves for `record`: more than it can write, stray stores included.
    @inline(__always)
    package func fastPathReservation(_ record: EncodedRecord) -> Int {
        record.size &* 3 &+ 160
    }

    /// The fast path, for a record whose text needs no escaping or truncation and whose metadata
    /// holds only strings, integers and booleans.
    @inline(__always)
    private func writeFast(
        _ record: EncodedRecord,
        _ sections: EncodedRecord.Sections,
        time: (UnsafePointer<UInt8>, Int),
        to cursor: inout OutputCursor
    ) -> Bool {
        cursor.append("{\"timestamp\":\"")
        cursor.appendTimestamp(time, fractionDigits: fractionDigits)
        cursor.append("\",\"level\":\"")
        cursor.append(Self.levelName(record.level))
        cursor.append("\",\"label\":\"")
        guard sections.label.count <= 1024, cursor.copy(sections.label, unless: .lineBreakingAndQuotes) else {
            return false
        }
        cursor.append("\",\"message\":\"")
        guard sections.message.count <= maxMessageBytes, cursor.copy(sections.message, unless: .lineBreakingAndQuotes)
        else {
            return false
        }
        cursor.append(UInt8(ascii: "\""))
        if sections.hasMetadata {
            cursor.append(",\"metadata\":{")
            var first = true
            var metadata = sections.makeMetadataIterator()
            while let (key, value) = metadata.next() {
                if !first {
                    cursor.append(UInt8(ascii: ","))
                }
                first = false
                cursor.append(UInt8(ascii: "\""))
                guard key.count <= LogOutput.maxJSONKeyBytes, cursor.copy(key, unless: .lineBreakingAndQuotes) else {
                    return false
                }
                cursor.append("\":")
                switch value {
                case .string(let utf8):
                    cursor.append(UInt8(ascii: "\""))
                    guard utf8.count <= maxMessageBytes, cursor.copy(utf8, unless: .lineBreakingAndQuotes) else {
                        return false
                    }
                    cursor.append(UInt8(ascii: "\""))
                case .integer(let integer):
                    cursor.appendInteger(integer)
                case .bool(let bool):
                    cursor.append(bool ? "true" : "false")
                case .double, .array, .dictionary, .tooDeep:
                    return false
                }
            }
            cursor.append(UInt8(ascii: "}"))
        }
        if includeSequence {
            cursor.append(",\"sequence\":")
            cursor.appendInteger(Int(truncatingIfNeeded: record.sequence))
        }
        cursor.append("}\n")
        return true
    }

    package func writeGenerally(_ record: EncodedRecord, _ sections: EncodedRecord.Sections, to output: inout LogOutput)
    {
        output.append("{\"timestamp\":\"")
        output.appendTimestamp(record.timestamp, fractionDigits: fractionDigits)
        output.append("\",\"level\":\"")
        output.append(Self.levelName(record.level))
        output.append("\",\"label\":\"")
        output.appendEscaped(sections.label, .json, limit: 1024)
        output.append("\",\"message\":\"")
        output.appendEscaped(sections.message, .json, limit: maxMessageBytes)
        output.append(UInt8(ascii: "\""))
        if sections.hasMetadata {
            output.append(",\"metadata\":{")
            var first = true
            sections.forEachMetadata { key, value in
                if !first {
                    output.append(UInt8(ascii: ","))
                }
                first = false
                output.appendJSONKey(key)
                output.appendJSONValue(value, limit: maxMessageBytes)
            }
            output.append(UInt8(ascii: "}"))
        }
        if includeSource {
            output.append(",\"source\":{\"file\":\"")
            output.appendSourceFile(record, sections, .json)
            output.append("\",\"function\":\"")
            output.appendSourceFunction(record, sections, .json)
            output.append("\",\"line\":")
            output.appendInteger(Int(truncatingIfNeeded: record.sourceLine(sections)))
            output.append(UInt8(ascii: "}"))
        }
        if includeSequence {
            output.append(",\"sequence\":")
            output.appendInteger(Int(truncatingIfNeeded: record.sequence))
        }
        output.append("}\n")
    }

    private static func levelName(_ level: LogLevel) -> StaticString {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }
}
