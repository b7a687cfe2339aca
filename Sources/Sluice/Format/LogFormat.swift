/// Turns records into bytes: one line per record.
///
/// Sluice ships ``TextFormat`` (`.text`), ``LogfmtFormat`` (`.logfmt`) and ``JSONFormat`` (`.json`).
/// Write your own by appending one line per record to the ``LogOutput``:
///
/// ```swift
/// struct LevelAndMessage: LogFormat {
///     func write(_ record: LogRecord, to output: inout LogOutput) {
///         output.appendUnescaped(record.level.name)
///         output.append(" ")
///         output.appendEscaped(record.message, .text)
///         output.append("\n")
///     }
/// }
/// let sink = ConsoleSink(format: LevelAndMessage())
/// ```
///
/// - Important: A format must write exactly one line per record, ending in `"\n"`, and must escape
///   anything taken from the record (``LogOutput/appendEscaped(_:_:limit:)``) so a message cannot
///   forge a second record. Formats run on the sink's own thread and must not block.
public protocol LogFormat: Sendable {
    /// Appends one line, ending in `"\n"`, for `record`.
    ///
    /// - Parameters:
    ///   - record: The record to format.
    ///   - output: The buffer to append to.
    func write(_ record: LogRecord, to output: inout LogOutput)

    /// Appends one line per record of `records`, starting at `start`, and stops after the line that
    /// takes `output` to `byteLimit` bytes or more. Returns the index of the first record not written.
    ///
    /// Sinks call this once per chunk instead of ``write(_:to:)`` per record; the default
    /// implementation loops over ``write(_:to:)`` inside the concrete format, which spares a copy of
    /// each record. Formats rarely need to implement it.
    func write(_ records: [LogRecord], from start: Int, to output: inout LogOutput, byteLimit: Int) -> Int
}

extension LogFormat {
    public func write(_ records: [LogRecord], from start: Int, to output: inout LogOutput, byteLimit: Int) -> Int {
        var index = start
        while index < records.count && output.count < byteLimit {
            write(records[index], to: &output)
            index += 1
        }
        return index
    }

    /// Formats one record and returns its line without the trailing newline.
    ///
    /// ```swift
    /// let line = JSONFormat().render(record)
    /// ```
    ///
    /// - Parameter record: The record.
    /// - Returns: The formatted line.
    public func render(_ record: LogRecord) -> String {
        var output = LogOutput(capacity: 256)
        write(record, to: &output)
        var line = output.string
        if line.hasSuffix("\n") {
            line.removeLast()
        }
        return line
    }
}

extension LogFormat where Self == TextFormat {
    /// Human-readable text: `2026-11-23T12:00:00.123456Z INFO     api: request handled status=200`.
    public static var text: TextFormat { TextFormat() }
}

extension LogFormat where Self == LogfmtFormat {
    /// logfmt: `ts=2026-11-23T12:00:00.123456Z level=info label=api msg="request handled" status=200`.
    public static var logfmt: LogfmtFormat { LogfmtFormat() }
}

extension LogFormat where Self == JSONFormat {
    /// JSON Lines: `{"timestamp":"2026-11-23T12:00:00.123456Z","level":"info",...}`.
    public static var json: JSONFormat { JSONFormat() }
}
