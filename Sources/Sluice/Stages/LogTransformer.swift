/// Your own change to records: add a field, rename a key, drop what you do not want.
///
/// Transformers run on the pipeline's collector thread, never the caller's, in the order given,
/// after the backtrace and before redaction (so nothing a transformer adds can leak a secret). A
/// transformer returns the record to keep (changed or not) or `nil` to drop it; dropped records
/// are counted in ``FilterCounts/transformed``.
///
/// ```swift
/// let addHost = LogTransformer("add-host") { record in
///     var record = record
///     record.metadata["host"] = "web-3"
///     return record
/// }
/// let noHealthChecks = LogTransformer("no-health-checks") { record in
///     record.metadata["path"] == "/health" ? nil : record
/// }
/// ```
///
/// - Important: A transformer that throws is isolated: the record goes on as it was, the error is
///   counted for the transformer (``TransformerStats``, ``PipelineHealth/stages``) and reported to
///   the pipeline's ``InternalErrorHandler``. Transformers must be quick and must not block or log
///   through the same pipeline; every record is decoded for them and encoded again, which costs about
///   a microsecond and a few allocations per record on the collector thread.
public struct LogTransformer: Sendable {
    /// A name for stats, health and error messages (unique within a pipeline).
    public let name: String
    package let transform: @Sendable (LogRecord) throws -> LogRecord?

    /// Creates a transformer.
    ///
    /// - Parameters:
    ///   - name: A name for stats, health and errors.
    ///   - transform: Returns the record to keep, or `nil` to drop it. Throwing keeps the record
    ///     unchanged and counts the error.
    public init(_ name: String, _ transform: @escaping @Sendable (LogRecord) throws -> LogRecord?) {
        self.name = name
        self.transform = transform
    }
}
