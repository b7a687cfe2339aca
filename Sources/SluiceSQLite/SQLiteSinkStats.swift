import Sluice

/// Counters of one ``SQLiteSink``, read without `await` through its `stats`.
///
/// ```swift
/// let stats = sqlite.stats
/// metrics.gauge("log_db_bytes", stats.databaseBytes)
/// metrics.gauge("log_db_circuit_open", stats.circuitState == .open ? 1 : 0)
/// ```
///
/// The pipeline's `SinkStats` count records per sink; these add what only a database sink knows.
public struct SQLiteSinkStats: Sendable, Hashable, CustomStringConvertible {
    /// Rows (records) committed.
    public var rowsWritten = 0
    /// Batches committed, one transaction each.
    public var batchesWritten = 0
    /// Commits that also forced the write-ahead log to disk (`synchronous=FULL`), as the durability
    /// policy asks.
    public var syncs = 0
    /// Checkpoints of the write-ahead log into the database, run on the sink's maintenance thread.
    public var checkpoints = 0
    /// Attempts that failed (each retry counts).
    public var writeErrors = 0
    /// Records the sink gave up on (the pipeline counts them as dropped, reason `sinkFailure`).
    public var recordsGivenUp = 0
    /// Records handed to the fallback sink.
    public var fallbackRecords = 0
    /// The circuit breaker's state.
    public var circuitState: CircuitState = .closed
    /// Rows deleted by retention.
    public var rowsDeleted = 0
    /// Retention passes completed.
    public var retentionPasses = 0
    /// Retention passes that failed (retried at the next pass).
    public var retentionErrors = 0
    /// Bytes given back to the file system by incremental vacuum.
    public var bytesReclaimed = 0
    /// The database's size in pages in use × page size, as of the last retention pass (or the start).
    public var databaseBytes = 0
    /// Mean time of one `write` call (binding, committing, retries).
    public var meanWriteLatency: Duration = .zero
    /// Mean time of one flush (including a sync where the policy asks for one).
    public var meanFlushLatency: Duration = .zero
    /// The most recent error, if any.
    public var lastError: String?

    /// Creates empty counters.
    public init() {}

    public var description: String {
        var text = "rows=\(rowsWritten) batches=\(batchesWritten) syncs=\(syncs) writeErrors=\(writeErrors)"
        text += " givenUp=\(recordsGivenUp) circuit=\(circuitState) deleted=\(rowsDeleted)"
        text += " reclaimed=\(bytesReclaimed) databaseBytes=\(databaseBytes) meanWrite=\(meanWriteLatency.readable)"
        if let lastError {
            text += " lastError=\"\(lastError)\""
        }
        return text
    }
}

/// The counters behind ``SQLiteSinkStats``: updated by the sink and its maintenance thread, read
/// from anywhere.
package final class SQLiteSinkStatsRecorder: Sendable {
    private struct State {
        var stats = SQLiteSinkStats()
        var write = LatencySum()
        var flush = LatencySum()
    }

    private struct LatencySum {
        var nanoseconds: Int64 = 0
        var calls: Int64 = 0

        mutating func add(_ duration: Duration) {
            let (seconds, attoseconds) = duration.components
            nanoseconds &+= seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
            calls += 1
        }

        var mean: Duration { calls > 0 ? .nanoseconds(nanoseconds / calls) : .zero }
    }

    private let state = LockedValue(State())
    private let reporter = LockedValue<(@Sendable (InternalError.Kind, String) -> Void)?>(nil)

    package init() {}

    package var snapshot: SQLiteSinkStats {
        state.withLock { state in
            var stats = state.stats
            stats.meanWriteLatency = state.write.mean
            stats.meanFlushLatency = state.flush.mean
            return stats
        }
    }

    package func update(_ body: (inout SQLiteSinkStats) -> Void) {
        state.withLock { body(&$0.stats) }
    }

    package func recordWrite(duration: Duration) {
        state.withLock { $0.write.add(duration) }
    }

    package func recordFlush(duration: Duration) {
        state.withLock { $0.flush.add(duration) }
    }

    package func recordError(_ message: String) {
        state.withLock { $0.stats.lastError = message }
    }

    /// Where ``problem(_:_:count:)`` sends its reports (the pipeline's error handler).
    package func reportProblems(to report: @escaping @Sendable (InternalError.Kind, String) -> Void) {
        reporter.withLock { $0 = report }
    }

    /// Counts a problem, keeps `message` as the last error and reports it (outside the lock).
    package func problem(_ kind: InternalError.Kind, _ message: String, count: (inout SQLiteSinkStats) -> Void) {
        state.withLock { state in
            count(&state.stats)
            state.stats.lastError = message
        }
        reporter.withLock { $0 }?(kind, message)
    }
}
