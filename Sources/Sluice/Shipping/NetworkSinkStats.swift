/// What a network sink (``SyslogSink``, `HTTPSink`) did: readable at any time without `await`.
///
/// ```swift
/// let stats = syslog.stats
/// print(stats.recordsSent, stats.retries, stats.failures.connection, stats.droppedRecords.total,
///       stats.connected, stats.lastError ?? "-")
/// ```
///
/// Counts are of records and batches the sink was given; the pipeline's ``SinkStats`` count the
/// same drops as `sinkFailure` (a batch is counted as dropped there when any part of it was).
public struct NetworkSinkStats: Sendable, Hashable {
    /// Batches fully delivered.
    public var batchesSent = 0
    /// Records delivered.
    public var recordsSent = 0
    /// Requests (HTTP) or sends (syslog) that succeeded; a batch may need several.
    public var requestsSent = 0
    /// Bytes delivered (after compression, without HTTP headers).
    public var bytesSent = 0
    /// Attempts scheduled again after a failure.
    public var retries = 0
    /// Failed attempts, by class.
    public var failures = DeliveryFailureCounts()
    /// Batches given up on.
    public var droppedBatches = 0
    /// Records given up on, by reason.
    public var droppedRecords = NetworkDropCounts()
    /// Batches held now (waiting, being sent or waiting for a retry).
    public var pendingBatches = 0
    /// The most batches held at once.
    public var pendingHighWaterMark = 0
    /// The most recent failure's text, if any.
    public var lastError: String?
    /// Whether the sink holds a working connection (for UDP and HTTP: whether the last attempt
    /// succeeded).
    public var connected = false

    /// Creates empty stats.
    public init() {}
}
