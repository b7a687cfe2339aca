/// What happened to one batch at one sink.
package enum SinkOutcome: Sendable, Equatable {
    /// The sink wrote it.
    case written
    /// The sink threw while writing it.
    case failed
    /// The sink's inbox stayed full past the stall timeout, so the batch never reached it.
    case stalled
    /// The shutdown deadline passed before the sink wrote it.
    case shutdown
}

/// Per-sink counters and activity, kept in the ledger.
package struct SinkLedger {
    package let name: String
    package let level: LogLevel
    package var written = 0
    package var dropped = DropCounts()
    package var batches = 0
    package var flushes = 0
    package var errors = 0
    package var lastError: String?
    package var consecutiveFailures = 0
    /// Monotonic start of the operation in progress, if any.
    package var busySince: UInt64?
    /// Set when the inbox stayed full past the stall timeout; cleared when the sink takes a batch.
    package var inboxStalled = false
    package var closed = false
    package var writeNanoseconds: UInt64 = 0
    package var timedWrites = 0

    package init(name: String, level: LogLevel) {
        self.name = name
        self.level = level
    }
}

/// The pipeline's accounting as a plain struct: which records are in flight in which batch, and how
/// each batch ended at each sink. It lives under the same lock as the ``RecordQueue`` so a stats
/// snapshot sees every record in exactly one place.
///
/// A record counts as written once every sink it was routed to has settled its batch and at least one
/// of them wrote it; otherwise it is dropped for `shutdown` (when a sink missed the deadline) or for
/// `sinkFailure`.
package struct PipelineLedger {
    private struct BatchAccount {
        var levelCounts: [Int]  // indexed by LogLevel.rawValue
        var routed: [Int]  // records routed to each sink (0: not routed)
        var outcomes: [SinkOutcome?]
        var pendingSinks: Int
        var count: Int
        var oldestTimestamp: Int64
        var meanTimestamp: Double
    }

    package var sinks: [SinkLedger]
    package private(set) var outstanding = 0
    package private(set) var written = 0
    package private(set) var droppedSinkFailure = 0
    package private(set) var droppedShutdown = 0
    package private(set) var batches = 0
    package var flushes = 0
    private var latencyTotal: Double = 0
    private var latencyCount = 0
    private var latencyMax: Int64 = 0
    private var accounts: [UInt64: BatchAccount] = [:]
    private var nextBatchID: UInt64 = 1

    package init(sinks: [SinkLedger]) {
        self.sinks = sinks
    }

    /// How many records of a batch with these per-level counts each sink takes.
    package func routes(levelCounts: [Int]) -> [Int] {
        sinks.map { sink in
            levelCounts[Int(sink.level.rawValue)...].reduce(0, +)
        }
    }

    /// Opens an account for a batch; `routed[i]` records go to sink `i`.
    package mutating func openBatch(
        count: Int,
        levelCounts: [Int],
        routed: [Int],
        oldestTimestamp: Int64,
        meanTimestamp: Double
    ) -> UInt64 {
        precondition(routed.count == sinks.count, "internal inconsistency: routes for \(routed.count) sinks")
        let id = nextBatchID
        nextBatchID += 1
        let pending = routed.count { $0 > 0 }
        var account = BatchAccount(
            levelCounts: levelCounts,
            routed: routed,
            outcomes: Array(repeating: nil, count: sinks.count),
            pendingSinks: pending,
            count: count,
            oldestTimestamp: oldestTimestamp,
            meanTimestamp: meanTimestamp
        )
        outstanding += count
        batches += 1
        for (index, n) in routed.enumerated() where n > 0 {
            sinks[index].batches += 1
        }
        if pending == 0 {
            // No sink takes any of these records; the pipeline's level threshold prevents this, but the
            // records must still end up counted.
            account.pendingSinks = 0
            finish(account, now: oldestTimestamp)
            return id
        }
        accounts[id] = account
        return id
    }

    /// Records how a batch ended at one sink. Settling the same batch and sink twice is ignored, so a
    /// sink that finishes after the shutdown deadline already settled it cannot count it twice.
    package mutating func settle(batch id: UInt64, sink index: Int, outcome: SinkOutcome, now: Int64) {
        guard var account = accounts[id], account.routed[index] > 0, account.outcomes[index] == nil else {
            return
        }
        account.outcomes[index] = outcome
        account.pendingSinks -= 1
        let n = account.routed[index]
        switch outcome {
        case .written: sinks[index].written += n
        case .failed, .stalled: sinks[index].dropped.sinkFailure += n
        case .shutdown: sinks[index].dropped.shutdown += n
        }
        if account.pendingSinks == 0 {
            accounts[id] = nil
            finish(account, now: now)
        } else {
            accounts[id] = account
        }
    }

    /// Settles every batch still pending at any sink as dropped for `shutdown`.
    package mutating func settleAllPending(now: Int64) {
        for (id, account) in accounts {
            for index in account.routed.indices where account.routed[index] > 0 && account.outcomes[index] == nil {
                settle(batch: id, sink: index, outcome: .shutdown, now: now)
            }
        }
    }

    /// Number of batches not yet settled by every sink.
    package var openBatches: Int { accounts.count }

    private mutating func finish(_ account: BatchAccount, now: Int64) {
        outstanding -= account.count
        var writtenHere = 0
        for (rawLevel, n) in account.levelCounts.enumerated() where n > 0 {
            var anyWritten = false
            var missedDeadline = false
            for (index, sink) in sinks.enumerated() where account.routed[index] > 0 && sink.level.rawValue <= rawLevel {
                switch account.outcomes[index] {
                case .written: anyWritten = true
                case .shutdown: missedDeadline = true
                case .failed, .stalled, nil: break
                }
            }
            if anyWritten {
                writtenHere += n
            } else if missedDeadline {
                droppedShutdown += n
            } else {
                droppedSinkFailure += n
            }
        }
        written += writtenHere
        if writtenHere > 0 {
            latencyTotal += Double(writtenHere) * max(0, Double(now) - account.meanTimestamp)
            latencyCount += writtenHere
            latencyMax = max(latencyMax, now - account.oldestTimestamp)
        }
    }

    /// Mean and maximum time from a log call until its record was written.
    package var latency: (mean: Duration, max: Duration) {
        let mean = latencyCount == 0 ? 0 : Int64(latencyTotal / Double(latencyCount))
        return (.nanoseconds(mean), .nanoseconds(latencyMax))
    }
}
