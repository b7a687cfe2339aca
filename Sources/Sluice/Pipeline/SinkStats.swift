/// Counters for one sink, part of ``PipelineStats``.
///
/// ```swift
/// for sink in pipeline.stats.sinks {
///     print(sink.name, sink.written, sink.dropped.total, sink.bytes ?? 0)
/// }
/// ```
public struct SinkStats: Sendable, Hashable {
    /// The sink's name (unique within the pipeline).
    public var name: String
    /// The lowest level the sink accepts.
    public var level: LogLevel
    /// Records this sink wrote.
    public var written: Int
    /// Records routed to this sink that it did not write, by reason.
    public var dropped: DropCounts
    /// Bytes written, when the sink reports it (built-in byte sinks do).
    public var bytes: Int?
    /// Batches handed to the sink.
    public var batches: Int
    /// Flushes the sink completed.
    public var flushes: Int
    /// Operations (write, flush, close) that threw.
    public var errors: Int
    /// The most recent error's text, if any.
    public var lastError: String?
    /// Batches waiting in the sink's inbox.
    public var inboxDepth: Int
    /// Mean time the sink took to write one batch.
    public var meanWriteDuration: Duration
    /// The sink's condition.
    public var status: SinkStatus
    /// Records the sink's level admitted and its ``SinkFilter`` turned away.
    public var filtered: Int = 0
}
