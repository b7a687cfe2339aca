/// One log event, as sinks and formats receive it.
///
/// A record carries everything captured at the call: wall-clock time, level, label, message, typed
/// metadata, source location and a per-pipeline sequence number. Sinks get batches of records and
/// may keep them; a record is an immutable value once logged.
///
/// Metadata comes from three layers, merged with a fixed precedence: call-site metadata wins over the
/// logger's own metadata (from ``SluiceLogger/child(_:metadata:)``), which wins over the task-local
/// ``LogContext``. The layers are merged lazily so the log call itself does not pay for it;
/// ``metadata`` returns the merged view and ``forEachMetadata(_:)`` walks it without allocating.
///
/// ```swift
/// let record = LogRecord(level: .info, label: "api", message: "hello", metadata: ["status": 200])
/// let line = JSONFormat().render(record)
/// ```
public struct LogRecord: Sendable {
    /// When the record was logged (wall clock, taken at the call).
    public var timestamp: LogTimestamp
    /// The severity.
    public var level: LogLevel
    /// The logger's label, e.g. `"api.db"`.
    public var label: String
    /// The message, exactly as logged (formats escape and truncate it when rendering).
    public var message: String
    /// Where the record was logged.
    public var source: LogSource
    /// The record's position in its pipeline's queue: strictly increasing in enqueue order, starting
    /// at 1. A gap means records were dropped between the two.
    public var sequence: UInt64

    package var callMetadata: LogMetadata
    package var loggerMetadata: LogMetadata
    package var contextMetadata: LogMetadata

    /// Creates a record, for tests and for sinks that synthesise records.
    ///
    /// - Parameters:
    ///   - timestamp: When it happened; defaults to now.
    ///   - level: The severity.
    ///   - label: The logger label.
    ///   - message: The message.
    ///   - metadata: Metadata for the record.
    ///   - source: Where it was logged; defaults to the caller.
    ///   - sequence: The sequence number; 0 for records not created by a pipeline.
    public init(
        timestamp: LogTimestamp = .now(),
        level: LogLevel,
        label: String,
        message: String,
        metadata: LogMetadata = [:],
        source: LogSource = LogSource(),
        sequence: UInt64 = 0
    ) {
        self.init(
            timestamp: timestamp, level: level, label: label, message: message, source: source,
            callMetadata: metadata, loggerMetadata: LogMetadata(), contextMetadata: LogMetadata()
        )
        self.sequence = sequence
    }

    package init(
        timestamp: LogTimestamp,
        level: LogLevel,
        label: String,
        message: String,
        source: LogSource,
        callMetadata: LogMetadata,
        loggerMetadata: LogMetadata,
        contextMetadata: LogMetadata
    ) {
        self.timestamp = timestamp
        self.level = level
        self.label = label
        self.message = message
        self.source = source
        self.sequence = 0
        self.callMetadata = callMetadata
        self.loggerMetadata = loggerMetadata
        self.contextMetadata = contextMetadata
    }

    /// The merged metadata: call site over logger over task context.
    ///
    /// Setting it replaces all three layers.
    public var metadata: LogMetadata {
        get {
            if loggerMetadata.isEmpty && contextMetadata.isEmpty {
                return callMetadata
            }
            var merged = LogMetadata()
            merged.pairs.reserveCapacity(callMetadata.count + loggerMetadata.count + contextMetadata.count)
            forEachMetadata { key, value in merged.pairs.append((key, value)) }
            return merged
        }
        set {
            callMetadata = newValue
            loggerMetadata = LogMetadata()
            contextMetadata = LogMetadata()
        }
    }

    /// Whether the record has any metadata.
    public var hasMetadata: Bool {
        !(callMetadata.isEmpty && loggerMetadata.isEmpty && contextMetadata.isEmpty)
    }

    /// Calls `body` for each merged metadata pair without allocating: first the call-site pairs, then
    /// the logger's pairs whose keys the call site did not set, then the context's remaining pairs.
    ///
    /// - Parameter body: Receives each key and value.
    @inline(__always)
    public func forEachMetadata<E: Error>(_ body: (String, LogMetadataValue) throws(E) -> Void) throws(E) {
        let call = callMetadata.pairs
        for index in call.indices {
            try body(call[index].0, call[index].1)
        }
        let logger = loggerMetadata.pairs
        for index in logger.indices where !callMetadata.contains(key: logger[index].0) {
            try body(logger[index].0, logger[index].1)
        }
        let context = contextMetadata.pairs
        for index in context.indices
        where !callMetadata.contains(key: context[index].0) && !loggerMetadata.contains(key: context[index].0) {
            try body(context[index].0, context[index].1)
        }
    }
}
