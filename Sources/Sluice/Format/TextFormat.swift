/// Human-readable text, one line per record:
///
/// ```
/// 2026-11-23T12:00:00.123456Z INFO     api: request handled request_id=abc status=200
/// ```
///
/// Time (RFC 3339, UTC), level, label, message, then metadata as `key=value` (values quoted and
/// escaped when they hold spaces or special characters, nested values as JSON; in keys such
/// characters and `%` are percent-encoded, so distinct keys always render distinctly). When the output is a
/// terminal that accepts colours, the level is coloured and the time dimmed.
///
/// ```swift
/// let console = ConsoleSink(format: .text)
/// let verbose = ConsoleSink(format: TextFormat(includeSource: true))
/// ```
public struct TextFormat: LogFormat, EncodedRecordFormat {
    /// Whether to append ` (File.swift:42)`.
    public var includeSource: Bool
    /// Messages and string values longer than this many UTF-8 bytes are truncated with a marker.
    public var maxMessageBytes: Int
    /// Digits of the second's fraction, 0...9; default 6 (microseconds).
    public var fractionDigits: Int

    /// Creates a text format.
    ///
    /// - Parameters:
    ///   - includeSource: Whether to append the source location; default `false`.
    ///   - maxMessageBytes: Truncation limit for messages and values; default 64 KiB.
    ///   - fractionDigits: Digits of the second's fraction; default 6.
    public init(includeSource: Bool = false, maxMessageBytes: Int = 64 * 1024, fractionDigits: Int = 6) {
        self.includeSource = includeSource
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
        guard !output.colors && !includeSource && record.size < 16 * 1024 else { return false }
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
        cursor.appendTimestamp(time, fractionDigits: fractionDigits)
        cursor.append(UInt8(ascii: " "))
        cursor.append(Self.paddedName(record.level))
        cursor.append(UInt8(ascii: " "))
        guard sections.label.count <= 1024, cursor.copy(sections.label, unless: .lineBreaking) else { return false }
        cursor.append(": ")
        guard sections.message.count <= maxMessageBytes, cursor.copy(sections.message, unless: .lineBreaking) else {
            return false
        }
        var metadata = sections.makeMetadataIterator()
        while let (key, value) = metadata.next() {
            cursor.append(UInt8(ascii: " "))
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

    package func writeGenerally(_ record: EncodedRecord, _ sections: EncodedRecord.Sections, to output: inout LogOutput)
    {
        let level = record.level
        if output.colors {
            output.append("\u{1B}[2m")
            output.appendTimestamp(record.timestamp, fractionDigits: fractionDigits)
            output.append("\u{1B}[0m ")
            output.append(Self.color(level))
            output.append(Self.paddedName(level))
            output.append("\u{1B}[0m ")
        } else {
            output.appendTimestamp(record.timestamp, fractionDigits: fractionDigits)
            output.append(UInt8(ascii: " "))
            output.append(Self.paddedName(level))
            output.append(UInt8(ascii: " "))
        }
        output.appendEscaped(sections.label, .text, limit: 1024)
        output.append(": ")
        output.appendEscaped(sections.message, .text, limit: maxMessageBytes)
        sections.forEachMetadata { key, value in
            output.append(UInt8(ascii: " "))
            output.appendKey(key)
            output.append(UInt8(ascii: "="))
            output.appendTextValue(value, limit: maxMessageBytes)
        }
        if includeSource {
            output.append(" (")
            output.appendSourceFile(record, sections)
            output.append(UInt8(ascii: ":"))
            output.appendInteger(Int(truncatingIfNeeded: record.sourceLine(sections)))
            output.append(UInt8(ascii: ")"))
        }
        output.append(UInt8(ascii: "\n"))
    }

    private static func paddedName(_ level: LogLevel) -> StaticString {
        switch level {
        case .trace: "TRACE   "
        case .debug: "DEBUG   "
        case .info: "INFO    "
        case .notice: "NOTICE  "
        case .warning: "WARNING "
        case .error: "ERROR   "
        case .critical: "CRITICAL"
        }
    }

    private static func color(_ level: LogLevel) -> StaticString {
        switch level {
        case .trace: "\u{1B}[90m"
        case .debug: "\u{1B}[36m"
        case .info: "\u{1B}[32m"
        case .notice: "\u{1B}[1;34m"
        case .warning: "\u{1B}[33m"
        case .error: "\u{1B}[31m"
        case .critical: "\u{1B}[1;97;41m"
        }
    }
}
