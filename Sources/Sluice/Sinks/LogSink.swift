/// A destination for records: a console, a file, a socket, a test buffer.
///
/// The pipeline hands a sink batches of records at or above its ``level``, in order, one call at a
/// time, on a thread of its own, so a sink may block in `write(2)` without holding up anything else.
/// Make a sink an `actor` (its methods then run on that thread) or any `Sendable` type.
///
/// Declare your implementations `async`, as the protocol does: a synchronous `flush()` or `close()`
/// would lose to the protocol's default (a no-op) when someone calls it directly from async code.
///
/// ```swift
/// actor CountingSink: LogSink {
///     nonisolated let name = "counter"
///     nonisolated let level = LogLevel.warning
///     private(set) var count = 0
///
///     func write(_ records: [LogRecord]) async throws {
///         count += records.count
///     }
/// }
/// ```
///
/// - Important: Throwing from ``write(_:)`` counts the batch as dropped for this sink (reason
///   `sinkFailure`) and reports the error to the pipeline's ``InternalErrorHandler``; the pipeline
///   keeps going. A sink that takes longer than the stall timeout to accept batches is marked stalled
///   and has batches dropped until it catches up; the other sinks carry on.
public protocol LogSink: Sendable {
    /// A name for stats, health and error messages. Duplicate names within a pipeline get a suffix.
    var name: String { get }

    /// The lowest level this sink receives.
    var level: LogLevel { get }

    /// Writes a batch. Called again only after the previous call returned.
    ///
    /// - Parameter records: Records at or above ``level``, in sequence order.
    /// - Throws: Any error; the batch is then counted as dropped for this sink.
    func write(_ records: [LogRecord]) async throws

    /// Pushes everything written so far to the operating system (or further, by the sink's policy).
    /// The default does nothing.
    ///
    /// - Throws: Any error; the flush then reports ``FlushResult/failed(sinks:)``.
    func flush() async throws

    /// Reopens whatever the sink writes to, for example a file `logrotate` just moved. Called in
    /// order with the batches when someone calls ``LogPipeline/reopenFiles(timeout:)``. The default does
    /// nothing.
    ///
    /// - Throws: Any error; it is reported and ``LogPipeline/reopenFiles(timeout:)`` names the sink.
    func reopen() async throws

    /// Releases the sink's resources. Called once, after a final ``flush()``, at shutdown.
    /// The default does nothing.
    ///
    /// - Throws: Any error; it is reported and shutdown continues.
    func close() async throws

    /// Bytes written so far, for ``SinkStats/bytes``; `nil` (the default) when the sink does not
    /// count bytes. Read from any thread.
    var bytesWritten: Int? { get }
}

extension LogSink {
    public var name: String { String(describing: Self.self) }
    public func flush() async throws {}
    public func reopen() async throws {}
    public func close() async throws {}
    public var bytesWritten: Int? { nil }
}

/// A sink whose level can be left to the pipeline: created without a level, it takes every record
/// the pipeline logs, and a pipeline created without a level does not take its level from it.
package protocol LevelFollowingSink: LogSink {
    /// Whether the sink was created without a level of its own.
    var followsPipelineLevel: Bool { get }
}
