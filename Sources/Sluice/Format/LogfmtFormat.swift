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
public struct LogfmtFormat: LogFormat {
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

    public func write(_ record: LogRecord, to output: inout LogOutput) {
        output.append("ts=")
        output.appendTimestamp(record.timestamp, fractionDigits: fractionDigits)
        output.append(" level=")
        output.appendUnescaped(record.level.name)
        output.append(" label=")
        output.appendTextString(record.label, limit: 1024)
        output.append(" msg=")
        output.appendTextString(record.message, limit: maxMessageBytes)
        if includeSource {
            output.append(" source=")
            output.appendTextString("\(record.source.file):\(record.source.line)", limit: 1024)
        }
        record.forEachMetadata { key, value in
            output.append(UInt8(ascii: " "))
            output.appendKey(key, reserved: .logfmt)
            output.append(UInt8(ascii: "="))
            output.appendTextValue(value, limit: maxMessageBytes)
        }
        output.append(UInt8(ascii: "\n"))
    }
}
