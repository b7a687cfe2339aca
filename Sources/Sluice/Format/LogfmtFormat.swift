/// logfmt, one line per record:
///
/// ```
/// ts=2026-11-23T12:00:00.123456Z level=info label=api msg="request handled" request_id=abc status=200
/// ```
///
/// The fixed keys `ts`, `level`, `label`, `msg` (and `source` when enabled) come first; a metadata key
/// equal to one of them gets a leading underscore (`_level`; `_level` itself becomes `__level`), so
/// it cannot shadow it. Characters that cannot appear in an unquoted key, and `%`, are
/// percent-encoded (`a b` → `a%20b`), so distinct keys always render distinctly; values are quoted
/// and escaped when needed; nested values are quoted JSON.
///
/// ```swift
/// let file = try FileSink(path: "logs/app.log", format: .logfmt)
/// ```
public struct LogfmtFormat: LogFormat, EncodedRecordFormat {
    /// Whether to add `source=File.swift:42`.
    public var includeSource: Bool
    /// Messages and string values longer than this many UTF-8 bytes are truncated with a marker.
    public var maxMessageBytes: Int
    /// Digits of the second's fraction, 0...9; default 6 (microseconds).
    public var fractionDigits: Int

    /// Creates a logfmt format.
    ///
    /// - Parameters:
    ///   - includeSource: Whether to add the source location; default `false`.
    ///   - maxMessageBytes: Truncation limit for messages and values; default 64 KiB.
    ///   - fractionDigits: Digits of the second's fraction; default 6.
    public init(includeSource: Bool = false, maxMessageBytes: Int = 64 * 1024, fractionDigits: Int = 6) {
        self.includeSource = includeSource
        self.maxMessageBytes = maxMessageBytes
        self.fractionDigits = fractionDigits
    }

    /// Whether `key` is one of the fixed keys (`ts`, `level`, `label`, `msg`, `source`) after any
    /// leading underscores: the fast path's form of ``LogOutput/ReservedKeys/logfmt``.
    @inline(__always)
    private static func shadowsFixedKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        while start < key.count && key[start] == UInt8(ascii: "_") {
            start &+= 1
        }
        let rest = UnsafeBufferPointer(rebasing: key[start...])
        func equals(_ word: StaticString) -> Bool {
            EncodedMetadata.equal(rest, UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
        }
        switch rest.count {
        case 2: return equals("ts")
        case 3: return equals("msg")
        case 5: return equals("level") || equals("label")
        case 6: return equals("source")
        default: return false
        }
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
        record.size &* 3 &+ 96
    }

    /// The fast path, for a record whose text needs no escaping or truncation.
    @inline(__always)
    private func writeFast(
        _ record: EncodedRecord,
        _ sections: EncodedRecord.Sections,
        time: (UnsafePointer<UInt8>, Int),
        to cursor: inout OutputCursor
    ) -> Bool {
        cursor.append("ts=")
        cursor.appendTimestamp(time, fractionDigits: fractionDigits)
        cursor.append(" level=")
        cursor.append(Self.levelName(record.level))
        cursor.append(" label=")
        guard sections.label.count <= 1024, cursor.copyTextString(sections.label) else { return false }
        cursor.append(" msg=")
        guard sections.message.count <= maxMessageBytes, cursor.copyTextString(sections.message) else { return false }
        var metadata = sections.makeMetadataIterator()
        while let (key, value) = metadata.next() {
            cursor.append(UInt8(ascii: " "))
            if Self.shadowsFixedKey(key) {
                cursor.append(UInt8(ascii: "_"))
            }
            guard !key.isEmpty, key.count <= LogOutput.maxKeyBytes, cursor.copy(key, unless: .key) else {
                return false
            }
            cursor.append(UInt8(ascii: "="))
            switch value {
            case .string(let utf8):
                guard utf8.count <= maxMessageBytes, cursor.copyTextString(utf8) else { return false }
            case .integer(let integer):
                cursor.appendInteger(integer)
            case .bool(let bool):
                cursor.append(bool ? "true" : "false")
            case .double, .array, .dictionary, .tooDeep:
                return false
            }
        }
        cursor.append(UInt8(ascii: "\n"))
        return true
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

    package func writeGenerally(_ record: EncodedRecord, _ sections: EncodedRecord.Sections, to output: inout LogOutput)
    {
        output.append("ts=")
        output.appendTimestamp(record.timestamp, fractionDigits: fractionDigits)
        output.append(" level=")
        output.appendUnescaped(record.level.name)
        output.append(" label=")
        output.appendTextString(sections.label, limit: 1024)
        output.append(" msg=")
        output.appendTextString(sections.message, limit: maxMessageBytes)
        if includeSource {
            output.append(" source=")
            output.appendSourceLocationTextString(record, sections)
        }
        sections.forEachMetadata { key, value in
            output.append(UInt8(ascii: " "))
            output.appendKey(key, reserved: .logfmt)
            output.append(UInt8(ascii: "="))
            output.appendTextValue(value, limit: maxMessageBytes)
        }
        output.append(UInt8(ascii: "\n"))
    }
}
