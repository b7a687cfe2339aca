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
    /// The level this logger logs at: the pipeline's level for its label (its minimum, a per-label
    /// level or `LOG_LEVEL`, as they are now: ``LogPipeline/setLevel(_:for:)`` changes it for loggers
    /// that already exist), or the level set here. Records below it are discarded at the call.
    ///
    /// Setting it gives this logger (this copy) a level of its own, which later changes to the
    /// pipeline's levels do not touch; its children still follow the pipeline.
    public var level: LogLevel {
        get { threshold.configured }
        set { threshold = core.levels.fixedThreshold(newValue) }
    }

    @usableFromInline let core: PipelineStorage
    /// The effective minimum, shared with every logger that follows the same configuration: the
    /// configured level, raised to what at least one sink accepts (and lowered to a backtrace's
    /// level, if one is on).
    @usableFromInline var threshold: LevelThreshold
    /// What the stages decide at the call for this logger.
    private let stages: LoggerStages
    /// Whether a sampler or the rate limit decides at the call (checked inline, before anything is
    /// evaluated).
    @usableFromInline let decidesAtTheCall: Bool

    package init(label: String, metadata: LogMetadata, core: PipelineStorage) {
        self.label = label
        self.metadata = metadata
        self.core = core
        threshold = core.levels.threshold(for: label)
        let stages = core.loggerStages(for: label)
        self.stages = stages
        decidesAtTheCall = stages.decidesAtTheCall
    }

    /// Whether a record at `level` would be logged (with a ``Backtrace`` on, that includes the levels
    /// it keeps for its rings; sampling and the rate limit still decide per call).
    @inlinable
    public func isEnabled(_ level: LogLevel) -> Bool {
        threshold.admits(level)
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
        if threshold.admits(level) && (!decidesAtTheCall || admits(level, file, function, line)) {
            emit(level, message(), metadata(), file, function, line)
        }
    }

    /// Logs a record at `level` and says what happened to it: queued, below the level, or dropped
    /// and why. For code that must know (an audit trail, a payment); the plain level methods cost
    /// no more for its existence.
    ///
    /// ```swift
    /// if case .dropped(let reason) = log.submit(.notice, "order \(id) paid") {
    ///     fallbackJournal.append(id, reason: reason)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - level: The severity.
    ///   - message: The message; evaluated only if `level` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `level` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    /// - Returns: ``LogSubmission/queued``, ``LogSubmission/belowLevel``, ``LogSubmission/filtered``
    ///   (a ``SamplingRule`` or the ``RateLimit`` left it out) or ``LogSubmission/dropped(_:)`` with
    ///   the reason it was counted under.
    /// - Important: Like every log call it never awaits; under ``OverflowPolicy/block`` it may park
    ///   the thread (under ``OverflowPolicy/block(timeout:)`` at most for the timeout).
    @inlinable
    public func submit(
        _ level: LogLevel,
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) -> LogSubmission {
        guard threshold.admits(level) else { return .belowLevel }
        guard !decidesAtTheCall || admits(level, file, function, line) else { return .filtered }
        return emitReporting(level, message(), metadata(), file, function, line)
    }

    /// Logs a record at `level` from async code: where a full queue would park a thread under the
    /// ``OverflowPolicy/block`` policies, this suspends the task until there is room, so the
    /// thread (a cooperative-pool or event-loop thread) goes on with other work meanwhile.
    ///
    /// ```swift
    /// await log.send(.info, "request handled", metadata: ["status": 200])
    /// ```
    ///
    /// If the task is cancelled while it waits, the record is dropped and counted as
    /// ``DropCounts/cancelled``; under ``OverflowPolicy/block(timeout:)`` a wait past the timeout is
    /// counted as ``DropCounts/timedOut``. While it waits the record counts as in flight, so stats
    /// balance throughout. Under the dropping policies it never waits and costs what the level
    /// methods cost.
    ///
    /// - Parameters:
    ///   - level: The severity.
    ///   - message: The message; evaluated only if `level` is enabled.
    ///   - metadata: Metadata for this record; evaluated only if `level` is enabled.
    ///   - file: The source file; leave the default.
    ///   - function: The function; leave the default.
    ///   - line: The line; leave the default.
    /// - Returns: What happened to the record.
    @inlinable @discardableResult
    public func send(
        _ level: LogLevel,
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> LogMetadata = LogMetadata(),
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) async -> LogSubmission {
        guard threshold.admits(level) else { return .belowLevel }
        guard !decidesAtTheCall || admits(level, file, function, line) else { return .filtered }
        return await emitSuspending(level, message(), metadata(), file, function, line)
    }

    @usableFromInline
    func emitReporting(
        _ level: LogLevel,
        _ message: String,
        _ metadata: LogMetadata,
        _ file: String,
        _ function: String,
        _ line: UInt
    ) -> LogSubmission {
        let outcome = core.submitReporting(
            level: level, label: label, message: message, file: file, function: function, line: line,
            callMetadata: metadata, loggerMetadata: self.metadata, extraFlags: heldFlags(level))
        core.queued(level)
        return LogSubmission(outcome)
    }

    @usableFromInline
    func emitSuspending(
        _ level: LogLevel,
        _ message: String,
        _ metadata: LogMetadata,
        _ file: String,
        _ function: String,
        _ line: UInt
    ) async -> LogSubmission {
        LogSubmission(
            await core.submitSuspending(
                level: level, label: label, message: message, file: file, function: function, line: line,
                callMetadata: metadata, loggerMetadata: self.metadata, extraFlags: heldFlags(level)))
    }

    /// Asks the stages that decide at the call (sampling, the rate limit) whether a call at an
    /// enabled `level` goes on; reached only for loggers that have such a stage, before the message
    /// and metadata are evaluated, so a call they leave out costs no more than their decision.
    @usableFromInline
    func admits(_ level: LogLevel, _ file: String, _ function: String, _ line: UInt) -> Bool {
        // A record only a backtrace wants is not sampled or limited.
        threshold.isHeld(level)
            || stages.admits(level, label: label, file: file, function: function, line: line)
    }

    /// Builds the record and queues it; only reached for enabled levels the stages let through.

    /// The record flags a call at an enabled `level` adds: below what the sinks take, only a
    /// backtrace wants it.
    @inline(__always)
    func heldFlags(_ level: LogLevel) -> UInt8 {
        threshold.isHeld(level) ? RecordLayout.Flags.held : 0
    }

    @usableFromInline
    func emit(
        _ level: LogLevel,
        _ message: String,
        _ metadata: LogMetadata,
        _ file: String,
        _ function: String,
        _ line: UInt
    ) {
        core.submit(
            level: level, label: label, message: message, file: file, function: function, line: line,
            callMetadata: metadata, loggerMetadata: self.metadata, extraFlags: heldFlags(level))
        core.queued(level)
    }
}
