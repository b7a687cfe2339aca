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
/// each batch ended at each sink. It lives under the same lock as the ``QueueState`` so a stats
/// snapshot sees every record in exactly one place.
///
/// A record counts as written once every sink it was routed to has settled its batch and at least one
/// of them wrote it; otherwise it is dropped for `shutdown` (when a sink missed the deadline) or for
/// `sinkFailure`.
package struct PipelineLedger {
    private struct BatchAccount {
        var levelCounts: LevelCounts
        /// With mask routing: the records per distinct set of sinks (empty: routed by level).
        var groups: [MaskGroup]
        var routed: [Int]  // records routed to each sink (0: not routed); reused from batch to batch
        var outcomes: [SinkOutcome?]  // reused from batch to batch
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
    // Arrays of finished accounts, kept so opening a batch allocates nothing.
    private var spareRouted: [[Int]] = []
    private var spareOutcomes: [[SinkOutcome?]] = []
    private var spareGroups: [[MaskGroup]] = []

    package init(sinks: [SinkLedger]) {
        self.sinks = sinks
    }

    /// How many records of a batch with these per-level counts each sink takes.
    package func routes(levelCounts: LevelCounts) -> [Int] {
        sinks.map { levelCounts.count(atOrAbove: $0.level) }
    }

    /// Opens an account for a batch with these per-level counts; each sink takes the records at or
    /// above its level, or, with `masks` (the stages' routing), the records whose mask names it.
    package mutating func openBatch(
        count: Int,
        levelCounts: LevelCounts,
        oldestTimestamp: Int64,
        meanTimestamp: Double,
        masks: (sinkCounts: [Int], groups: [MaskGroup])? = nil
    ) -> UInt64 {
        let id = nextBatchID
        nextBatchID += 1
        var routed = spareRouted.popLast() ?? []
        var outcomes = spareOutcomes.popLast() ?? []
        var groups = spareGroups.popLast() ?? []
        routed.removeAll(keepingCapacity: true)
        outcomes.removeAll(keepingCapacity: true)
        groups.removeAll(keepingCapacity: true)
        if let masks {
            groups.append(contentsOf: masks.groups)
        }
        var pending = 0
        for index in sinks.indices {
            let n =
                masks.map { index < $0.sinkCounts.count ? $0.sinkCounts[index] : 0 }
                ?? levelCounts.count(atOrAbove: sinks[index].level)
            routed.append(n)
            outcomes.append(nil)
            if n > 0 {
                pending += 1
                sinks[index].batches += 1
            }
        }
        let account = BatchAccount(
            levelCounts: levelCounts,
            groups: groups,
            routed: routed,
            outcomes: outcomes,
            pendingSinks: pending,
            count: count,
            oldestTimestamp: oldestTimestamp,
            meanTimestamp: meanTimestamp
        )
        outstanding += count
        batches += 1
        if pending == 0 {
            // No sink takes any of these records; the pipeline's level threshold prevents this, but the
            // records must still end up counted.
            finish(account, now: oldestTimestamp)
            return id
        }
        accounts[id] = account
        return id
    }

    /// Records how a batch ended at one sink. Settling the same batch and sink twice is ignored, so a
    /// sink that finishes after the shutdown deadline already settled it cannot count it twice.
    package mutating func settle(batch id: UInt64, sink index: Int, outcome: SinkOutcome, now: Int64) {
        // Changed in place (through the dictionary's values), so settling allocates nothing.
        guard let slot = accounts.index(forKey: id) else { return }
        let n = accounts.values[slot].routed[index]
        guard n > 0, accounts.values[slot].outcomes[index] == nil else { return }
        accounts.values[slot].outcomes[index] = outcome
        accounts.values[slot].pendingSinks -= 1
        switch outcome {
        case .written: sinks[index].written += n
        case .failed, .stalled: sinks[index].dropped.sinkFailure += n
        case .shutdown: sinks[index].dropped.shutdown += n
        }
        if accounts.values[slot].pendingSinks == 0 {
            finish(accounts.remove(at: slot).value, now: now)
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
        for group in account.groups {
            // Records that go to the same sinks share a fate: written if any of those sinks wrote them.
            var anyWritten = false
            var missedDeadline = false
            var bits = group.mask
            while bits != 0 {
                let index = bits.trailingZeroBitCount
                bits &= bits - 1
                guard index < sinks.count else { continue }
                switch account.outcomes[index] {
                case .written: anyWritten = true
                case .shutdown: missedDeadline = true
                case .failed, .stalled, nil: break
                }
            }
            if anyWritten {
                writtenHere += group.count
            } else if missedDeadline {
                droppedShutdown += group.count
            } else {
                droppedSinkFailure += group.count
            }
        }
        for level in LogLevel.allCases where account.groups.isEmpty {
            let n = account.levelCounts[level]
            guard n > 0 else { continue }
            var anyWritten = false
            var missedDeadline = false
            for index in sinks.indices where account.routed[index] > 0 && sinks[index].level <= level {
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
        spareRouted.append(account.routed)
        spareOutcomes.append(account.outcomes)
        spareGroups.append(account.groups)
    }

    /// Mean and maximum time from a log call until its record was written.
    package var latency: (mean: Duration, max: Duration) {
        let mean = latencyCount == 0 ? 0 : Int64(latencyTotal / Double(latencyCount))
        return (.nanoseconds(mean), .nanoseconds(latencyMax))
    }
}

/// Records per level, without an array (a batch's counts travel into the ledger allocation-free).
package struct LevelCounts: Sendable, Equatable {
    private var counts: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)

    package init() {}

    package subscript(level: LogLevel) -> Int {
        get {
            switch level {
            case .trace: counts.0
            case .debug: counts.1
            case .info: counts.2
            case .notice: counts.3
            case .warning: counts.4
            case .error: counts.5
            case .critical: counts.6
            }
        }
        set {
            switch level {
            case .trace: counts.0 = newValue
            case .debug: counts.1 = newValue
            case .info: counts.2 = newValue
            case .notice: counts.3 = newValue
            case .warning: counts.4 = newValue
            case .error: counts.5 = newValue
            case .critical: counts.6 = newValue
            }
        }
    }

    /// Records at or above `level`.
    package func count(atOrAbove level: LogLevel) -> Int {
        var total = 0
        for candidate in LogLevel.allCases where candidate >= level {
            total += self[candidate]
        }
        return total
    }

    package static func == (lhs: LevelCounts, rhs: LevelCounts) -> Bool {
        LogLevel.allCases.allSatisfy { lhs[$0] == rhs[$0] }
    }
}
