/// The front door: a cheap, `Sendable` value that hands records to its pipeline.
///
/// Get one from ``LogPipeline/logger(label:metadata:)`` and pass it around freely; copies are
/// independent values sharing the pipeline. Named `SluiceLogger` so that it never clashes with
/// swift-log's `Logger` in files that import both.
///
/// ```swift
/// let log = pipeline.logger(label: "api")
/// log.info("request handled", metadata: ["request_id": "\(id)", "status": 200])
///
/// let db = log.child("db", metadata: ["pool": "main"])   // label "api.db", metadata merged
/// db.debug("query took \(ms) ms")
/// ```
///
/// - Important: Every method is synchronous, never awaits and never does I/O, so it can be called from
///   any task, actor or plain thread. The level is checked before the message or metadata is
///   evaluated: a call below the threshold costs a comparison and allocates nothing. Where a
///   ``SamplingRule`` or a ``RateLimit`` applies, it decides next, still before anything is evaluated
///   (a call it leaves out costs a few nanoseconds). An enabled call takes the wall-clock time, reads
///   the task's ``LogContext`` and appends to a bounded queue; only the `block` overflow policy can
///   make it wait (for room in a full queue).
public struct SluiceLogger: Sendable {
    /// The logger's label, e.g. `"api.db"`.
    public let label: String
    /// Metadata every record from this logger carries (call-site metadata wins on a collision).
    public var metadata: LogMetadata
    /// The level this logger was configured with (pipeline minimum, label override or ``level``
    /// setter). Records below it are discarded at the call.
    public var level: LogLevel {
        get { configuredLevel }
        set {
            configuredLevel = newValue
            stages = core.loggerStages(for: label, requested: newValue)
            threshold = stages.threshold
        }
    }

    @usableFromInline let core: PipelineStorage
    /// The effective minimum: the configured level, raised to what at least one sink accepts (and
    /// lowered to a backtrace's level, if one is on).
    @usableFromInline var threshold: LogLevel
    private var configuredLevel: LogLevel
    /// What the stages decide at the call for this logger.
    private var stages: LoggerStages {
        didSet { decidesAtTheCall = stages.decidesAtTheCall }
    }
    /// Whether a sampler or the rate limit decides at the call (checked inline, before anything is
    /// evaluated).
    @usableFromInline var decidesAtTheCall: Bool

    package init(label: String, metadata: LogMetadata, core: PipelineStorage) {
        self.label = label
        self.metadata = metadata
        self.core = core
        configuredLevel = core.levels.level(for: label)
        let stages = core.loggerStages(for: label)
        self.stages = stages
        decidesAtTheCall = stages.decidesAtTheCall
        threshold = stages.threshold
    }

    /// Whether a record at `level` would be logged (with a ``Backtrace`` on, that includes the levels
    /// it keeps for its rings; sampling and the rate limit still decide per call).
    @inlinable
    public func isEnabled(_ level: LogLevel) -> Bool {
        level >= threshold
    }

    /// A logger for a part of this one: label `"<label>.<name>"`, this logger's metadata merged with
    /// `metadata` (the new values win), level from the pipeline's configuration for the new label.
    ///
    /// ```swift
    /// let db = log.child("db", metadata: ["pool": "main"])
    /// ```
    ///
    /// - Parameters:
    ///   - name: The child's name, appended to the label with a dot.
    ///   - metadata: Metadata to add.
    /// - Returns: The child logger.
    public func child(_ name: String, metadata: LogMetadata = [:]) -> SluiceLogger {
        SluiceLogger(
            label: label.isEmpty ? name : "\(label).\(name)", metadata: self.metadata.merging(metadata), core: core)
    }

    /// Logs a record at `level`.
    ///
    /// - Parameters:
    ///   - level: The severity.
    ///   - message: The message; evaluated only if `level` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `level` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    @inlinable
    public func log(
        level: LogLevel,
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        if level >= threshold && (!decidesAtTheCall || admits(level, file, function, line)) {
            emit(level, message(), metadata(), file, function, line)
        }
    }

    /// Asks the stages that decide at the call (sampling, the rate limit) whether a call at an
    /// enabled `level` goes on; reached only for loggers that have such a stage, before the message
    /// and metadata are evaluated, so a call they leave out costs no more than their decision.
    @usableFromInline
    func admits(_ level: LogLevel, _ file: String, _ function: String, _ line: UInt) -> Bool {
        // A record only a backtrace wants is not sampled or limited.
        level < stages.writeThreshold
            || stages.admits(level, label: label, file: file, function: function, line: line)
    }

    /// Builds the record and queues it; only reached for enabled levels the stages let through.
    @usableFromInline
    func emit(
        _ level: LogLevel,
        _ message: String,
        _ metadata: LogMetadata,
        _ file: String,
        _ function: String,
        _ line: UInt
    ) {
        // Below what the sinks take: only a backtrace wants it.
        let extraFlags = level < stages.writeThreshold ? RecordLayout.Flags.held : 0
        core.submit(
            level: level, label: label, message: message, file: file, function: function, line: line,
            callMetadata: metadata, loggerMetadata: self.metadata, extraFlags: extraFlags)
    }
}
