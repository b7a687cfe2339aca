import Sluice

/// What a ``PostgresSink`` did: readable at any time without `await`.
///
/// ```swift
/// let stats = postgres.stats
/// print(stats.delivery.recordsSent, stats.delivery.connected, stats.connections, stats.batchesInDoubt)
/// ```
///
/// A batch is *in doubt* when the connection broke after its `COMMIT` was sent and before the
/// server's answer arrived: it may or may not be in the table. The sink finds out after
/// reconnecting, from the row it commits in `sluice_batches` with every batch, and either counts
/// the batch as written (``inDoubtFoundCommitted``) or sends it again (``inDoubtSentAgain``), so
/// every record is written exactly once. Only a batch the sink has to give up on before it can check
/// (the retry budget ran out, the buffer overflowed, the sink closed) is counted as dropped without
/// knowing: ``inDoubtRecordsDropped``, of which ``inDoubtRecordsDroppedButCommitted`` were found in
/// the table afterwards.
public struct PostgresSinkStats: Sendable, Hashable {
    /// Batches and records delivered, retries, failures by class, drops by reason, the pending
    /// buffer and whether the sink is connected.
    public var delivery = NetworkSinkStats()
    /// Connections opened: the first and every reconnection.
    public var connections = 0
    /// Batches whose `COMMIT` answer was lost with the connection.
    public var batchesInDoubt = 0
    /// In-doubt batches found committed after reconnecting (counted as written, not sent again).
    public var inDoubtFoundCommitted = 0
    /// In-doubt batches found not committed and sent again.
    public var inDoubtSentAgain = 0
    /// Records of in-doubt batches given up on before they could be checked (counted as dropped).
    public var inDoubtRecordsDropped = 0
    /// Of ``inDoubtRecordsDropped``, records found in the table when the sink checked later.
    public var inDoubtRecordsDroppedButCommitted = 0
    /// Day partitions the sink created.
    public var partitionsCreated = 0

    /// Creates empty stats.
    public init() {}
}

/// The PostgreSQL-specific counters behind ``PostgresSinkStats``: updated by the transport on the
/// delivery thread, read from anywhere.
package final class PostgresSinkStatsRecorder: Sendable {
    private let state = LockedValue(PostgresSinkStats())

    package init() {}

    package func update(_ body: (inout PostgresSinkStats) -> Void) {
        state.withLock { body(&$0) }
    }

    /// The counters, with `delivery` from the delivery engine.
    package func snapshot(delivery: NetworkSinkStats) -> PostgresSinkStats {
        var stats = state.withLock { $0 }
        stats.delivery = delivery
        return stats
    }
}
