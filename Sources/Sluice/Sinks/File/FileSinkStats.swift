/// Counters of one ``FileSink`` or ``LabelFileSink``, read without `await` through their `stats`.
///
/// ```swift
/// let stats = file.stats
/// metrics.gauge("log_file_bytes", stats.bytesWritten)
/// metrics.gauge("log_file_circuit_open", stats.circuitState == .open ? 1 : 0)
/// ```
///
/// The pipeline's ``SinkStats`` counts records per sink; these add what only a file sink knows.
public struct FileSinkStats: Sendable, Hashable, CustomStringConvertible {
    /// Bytes written to log files (not counting archives' compression).
    public var bytesWritten: Int = 0
    /// Lines (records) written.
    public var linesWritten: Int = 0
    /// Batches written.
    public var batchesWritten: Int = 0
    /// Rotations done.
    public var rotations: Int = 0
    /// Rotations that failed (the sink kept writing to the current file and tries again later).
    public var rotationFailures: Int = 0
    /// Archives compressed.
    public var compressions: Int = 0
    /// Archives deleted by retention.
    public var archivesDeleted: Int = 0
    /// Compression or retention steps that failed (retried at the next rotation or start).
    public var archiveErrors: Int = 0
    /// Times the file was reopened: moved or deleted by another tool, or `reopenFiles()`.
    public var reopens: Int = 0
    /// Write attempts that failed (each retry counts).
    public var writeErrors: Int = 0
    /// `fdatasync` calls that failed. Under ``Durability/fsyncEveryBatch`` the batch is then written
    /// again and synced again before it counts as written; under the other policies what was
    /// written since the last successful sync may be missing from the disk after a power loss.
    public var syncFailures: Int = 0
    /// Records the sink gave up on (the pipeline counts them as dropped, reason `sinkFailure`).
    public var recordsGivenUp: Int = 0
    /// Records handed to the fallback sink.
    public var fallbackRecords: Int = 0
    /// Bytes of an unterminated last line found when a file was opened (a write cut short by a
    /// crash, or another program's output). They are kept, and the line is ended with a newline so
    /// the next record starts a line of its own.
    public var repairedBytes: Int = 0
    /// The circuit breaker's state.
    public var circuitState: CircuitState = .closed
    /// Mean time of one `write` call (formatting, writing, retries).
    public var meanWriteLatency: Duration = .zero
    /// Mean time of one flush (including `fdatasync` where the policy asks for one).
    public var meanFlushLatency: Duration = .zero
    /// The most recent error, if any.
    public var lastError: String?

    /// Creates empty counters.
    public init() {}

    public var description: String {
        var text =
            "bytes=\(bytesWritten) lines=\(linesWritten) rotations=\(rotations) compressions=\(compressions)"
        text += " deleted=\(archivesDeleted) reopens=\(reopens) writeErrors=\(writeErrors)"
        text += " givenUp=\(recordsGivenUp) circuit=\(circuitState)"
        text += " meanWrite=\(meanWriteLatency.readable) meanFlush=\(meanFlushLatency.readable)"
        if let lastError {
            text += " lastError=\"\(lastError)\""
        }
        return text
    }
}
