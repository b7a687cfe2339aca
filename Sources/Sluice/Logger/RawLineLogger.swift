/// Writes lines that are already text (a child process's output, a pipe, a file being followed) as
/// records of one label and one stream, without building metadata per line.
///
/// Get one from ``LogPipeline/rawLineLogger(label:stream:level:metadata:)``. Each line becomes a
/// record whose message is the line, whose label is the logger's and whose metadata is the logger's
/// fixed metadata (`stream` first), shared by every record rather than built per line. The line may
/// be bytes straight from a `read(2)`: invalid UTF-8 is written as `\xNN` for each offending byte,
/// and control characters are escaped by every format as in any other message.
///
/// ```swift
/// let stdout = pipeline.rawLineLogger(label: "worker", stream: "stdout")
/// let stderr = pipeline.rawLineLogger(label: "worker", stream: "stderr", level: .error)
/// buffer.withUnsafeBytes { stdout.write($0) }          // one line, without its "\n"
/// stderr.write("panic: out of memory")
/// // text format: 2026-11-23T12:00:00.123456Z ERROR    worker: panic: out of memory stream=stderr
/// ```
///
/// A line costs less than a structured call on ``SluiceLogger``: no metadata is built or merged, no
/// task-local context is read and no source location is captured. A line written as bytes
/// allocates nothing: its bytes are copied into the queue as they are.
///
/// - Important: `RawLineLogger` is a `Sendable` value; every method is synchronous, never awaits and
///   never does I/O, like ``SluiceLogger``'s. Lines written from one thread reach each sink in the
///   order they were written. Under the `block` overflow policy a write waits for room in a full
///   queue, which is how a capturing reader pushes back on the program it reads from.
public struct RawLineLogger: Sendable {
    /// The label of every record, e.g. the app's name.
    public let label: String
    /// The stream every record names in its `stream` metadata, e.g. `"stdout"`.
    public let stream: String
    /// The level of lines written without one.
    public let level: LogLevel
    /// The metadata every record carries: `stream` first, then the logger's extra metadata.
    public let metadata: LogMetadata

    @usableFromInline let core: PipelineStorage
    /// The effective minimum for this label, shared with the label's other loggers so that a level
    /// changed at runtime reaches it: lines below it are discarded at the call.
    @usableFromInline let threshold: LevelThreshold

    package init(label: String, stream: String, level: LogLevel, metadata: LogMetadata, core: PipelineStorage) {
        self.label = label
        self.stream = stream
        self.level = level
        var fixed: LogMetadata = ["stream": .string(stream)]
        for key in metadata.keys where key != "stream" {
            fixed[key] = metadata[key]
        }
        self.metadata = fixed
        self.core = core
        threshold = core.levels.threshold(for: label)
    }

    /// Whether a line at `level` would be written.
    @inlinable
    public func isEnabled(_ level: LogLevel) -> Bool {
        threshold.admits(level)
    }

    /// Writes one line given as bytes, such as a slice of a `read(2)` buffer.
    ///
    /// - Parameters:
    ///   - line: The line without its line break. Invalid UTF-8 becomes `\xNN` per byte; anything
    ///     else is kept and escaped by the formats.
    ///   - level: The line's level; default the logger's ``level``.
    ///   - timestamp: When the line was read; default now. A reader that timestamps once per
    ///     `read(2)` saves a clock read per line.
    public func write(_ line: UnsafeRawBufferPointer, level: LogLevel? = nil, timestamp: LogTimestamp? = nil) {
        let level = level ?? self.level
        guard threshold.admits(level) else { return }
        submit(RawLineMessage(line), level: level, timestamp: timestamp, lineMetadata: nil)
    }

    /// Writes one line given as a string.
    ///
    /// - Parameters:
    ///   - line: The line without its line break.
    ///   - level: The line's level; default the logger's ``level``.
    ///   - timestamp: When the line was read; default now.
    public func write(_ line: String, level: LogLevel? = nil, timestamp: LogTimestamp? = nil) {
        let level = level ?? self.level
        guard threshold.admits(level) else { return }
        submit(line, level: level, timestamp: timestamp, lineMetadata: nil)
    }

    /// Writes a line that carried its own fields, such as a JSON line parsed into a message and
    /// metadata. The logger's fixed metadata wins over a field with the same key.
    ///
    /// ```swift
    /// stdout.write(message: "user signed in", level: .notice, metadata: ["user": 42])
    /// ```
    ///
    /// - Parameters:
    ///   - message: The message.
    ///   - level: The level.
    ///   - metadata: The line's own fields.
    ///   - timestamp: When the line was read; default now.
    public func write(message: String, level: LogLevel, metadata: LogMetadata, timestamp: LogTimestamp? = nil) {
        guard threshold.admits(level) else { return }
        submit(message, level: level, timestamp: timestamp, lineMetadata: metadata)
    }

    @inline(__always)
    private func submit(
        _ message: some RecordMessage, level: LogLevel, timestamp: LogTimestamp?, lineMetadata: LogMetadata?
    ) {
        // The fixed metadata is the call-site layer, so it is written first and wins over a line's
        // own fields, which ride in the logger layer; neither is copied or merged here.
        core.submit(
            timestamp: (timestamp ?? .now()).nanosecondsSinceEpoch, level: level, label: label, message: message,
            file: RawLineDecoding.source.file, function: RawLineDecoding.source.function,
            line: RawLineDecoding.source.line, callMetadata: metadata, loggerMetadata: lineMetadata ?? LogMetadata(),
            context: LogMetadata(),
            // Below what the sinks take (a backtrace lowered the threshold): only the backtrace wants it.
            extraFlags: threshold.isHeld(level) ? RecordLayout.Flags.held : 0)
        core.queued(level)
    }
}
