/// The part of a pipeline that loggers hold: the record queue, the accounting ledger and the level
/// configuration, all behind one lock so a stats snapshot is consistent.
///
/// ``submit(_:)`` is the hot path of every enabled log call: one lock, an append into a ring buffer
/// and, once per batch, a wake-up for the collector after the lock is released. It never awaits and
/// never does I/O; under the `block` policy it parks the calling thread on a condition variable until
/// the collector (on its own thread) makes room.
//
// @unchecked Sendable is safe: `queue`, `ledger`, `state` and `retired` are only
// accessed with `lock` held (every method below takes it); every other stored property is an
// immutable `let` of a Sendable type.
@usableFromInline
package final class PipelineCore: @unchecked Sendable {
    private let lock = Lock()
    private let roomAvailable = Condition()
    // Dynamic exclusivity checks are off for these: every access already holds `lock`, which is what
    // guarantees exclusive access, and the checks showed up on the hot path.
    @exclusivity(unchecked) private var queue: RecordQueue
    @exclusivity(unchecked) private var ledger: PipelineLedger
    @exclusivity(unchecked) private var state: PipelineState = .running
    /// Batches every sink has finished with, waiting to be released by the collector's thread.
    @exclusivity(unchecked) private var retired: [[LogRecord]] = []
    private let blockWhenFull: Bool
    private let events: AsyncStream<CollectorEvent>.Continuation

    package let levels: LevelPolicy
    /// The lowest level any sink accepts: nothing below it is worth queueing.
    package let minimumSinkLevel: LogLevel
    package let sinkLevels: [LogLevel]
    package let stallTimeout: Duration
    package let createdAt = ContinuousClock.now
    /// Tells this pipeline's threads from other pipelines' (``PipelineThread``, ``PipelineWaits``).
    package let id = PipelineCore.nextID.withLock { id in
        id += 1
        return id
    }
    private static let nextID = LockedValue<UInt64>(0)

    package init(
        queue options: QueueOptions,
        batchSize: Int,
        levels: LevelPolicy,
        sinks: [(name: String, level: LogLevel)],
        stallTimeout: Duration,
        events: AsyncStream<CollectorEvent>.Continuation
    ) {
        queue = RecordQueue(options: options, batchSize: batchSize)
        ledger = PipelineLedger(sinks: sinks.map { SinkLedger(name: $0.name, level: $0.level) })
        blockWhenFull = options.overflow == .block
        self.levels = levels
        minimumSinkLevel = sinks.map(\.level).min() ?? .critical
        sinkLevels = sinks.map(\.level)
        self.stallTimeout = stallTimeout
        self.events = events
    }

    /// The level a logger with `label` should check against.
    package func threshold(for label: String, requested: LogLevel? = nil) -> LogLevel {
        max(requested ?? levels.level(for: label), minimumSinkLevel)
    }

    // MARK: Producer side

    /// Queues a record (the hot path).
    package func submit(_ record: consuming LogRecord) {
        let level = record.level
        // Which thread asks decides whether it may wait (PipelineThread); only under `block`.
        let role = blockWhenFull ? PipelineThread.role : .unattached
        let canWait = blockWhenFull && role != .unattached && role != .pipeline(id)
        lock.lock()
        var admission = queue.admit(level: level, isRetry: false, canWait: canWait)
        var waitsOn: UInt64?
        while admission == .mustWait {
            if case .pipeline(let source) = role, waitsOn == nil {
                // A thread of another pipeline: wait only if this one does not wait on that one.
                guard PipelineWaits.begin(from: source, to: id) else {
                    admission = queue.admit(level: level, isRetry: true, canWait: false)
                    break
                }
                waitsOn = source
            }
            queue.waitingProducers += 1
            roomAvailable.wait(lock)
            queue.waitingProducers -= 1
            admission = queue.admit(level: level, isRetry: true, canWait: canWait)
        }
        if let waitsOn {
            PipelineWaits.end(from: waitsOn, to: id)
        }
        guard case .admit = admission else {
            lock.unlock()
            return
        }
        let signal = queue.store(record, admission: admission)
        lock.unlock()
        switch signal {
        case .recordsAvailable: events.yield(.recordsAvailable)
        case .batchReady: events.yield(.batchReady)
        case nil: break
        }
    }

    // MARK: Collector side

    /// Records waiting in the queue.
    package var pendingCount: Int {
        lock.withLock { queue.count }
    }

    /// Whether nothing is queued and no producer waits to get in.
    package var isDrained: Bool {
        lock.withLock { queue.count == 0 && queue.waitingProducers == 0 }
    }

    /// Takes up to `limit` records (none unless at least `minimum` are waiting), opens their ledger
    /// account and wakes waiting producers.
    package func takeBatch(upTo limit: Int, minimum: Int = 1) -> (records: [LogRecord], id: UInt64, routed: [Int])? {
        lock.lock()
        guard queue.count >= minimum else {
            lock.unlock()
            return nil
        }
        let records = queue.take(upTo: limit)
        let routed = ledger.routes(for: records)
        let id = ledger.openBatch(records, routed: routed)
        let wake = queue.waitingProducers > 0
        var garbage: [[LogRecord]] = []
        swap(&garbage, &retired)
        lock.unlock()
        if wake {
            roomAvailable.broadcast()
        }
        recycle(&garbage)
        return (records, id, routed)
    }

    /// Destroys retired records here, on the collector's thread, rather than on a sink's thread
    /// (the busiest one when a single sink formats and writes everything), and keeps the emptied
    /// arrays for reuse when no sink still holds them.
    private func recycle(_ garbage: inout [[LogRecord]]) {
        var emptied: [[LogRecord]] = []
        while var batch = garbage.popLast() {
            batch.removeAll(keepingCapacity: true)
            if batch.capacity > 0 {
                emptied.append(batch)
            }
        }
        guard !emptied.isEmpty else { return }
        lock.withLock {
            for batch in emptied {
                queue.donate(batch)
            }
        }
    }

    /// A sink is done with `records`; they are released later on the collector's thread.
    package func retire(_ records: consuming [LogRecord]) {
        lock.lock()
        retired.append(records)
        lock.unlock()
    }

    /// Releases retired batches now (the collector calls this when it has nothing else to do).
    package func releaseRetired() {
        var garbage: [[LogRecord]] = []
        lock.withLock { swap(&garbage, &retired) }
        recycle(&garbage)
    }

    /// Records how a batch ended at one sink.
    package func settle(batch id: UInt64, sink index: Int, outcome: SinkOutcome) {
        let now = LogTimestamp.now().nanosecondsSinceEpoch
        lock.withLock {
            ledger.settle(batch: id, sink: index, outcome: outcome, now: now)
        }
    }

    /// Shutdown began: new log calls are dropped; producers already waiting still get in.
    package func beginDraining() {
        lock.withLock {
            queue.beginDraining()
            if state == .running {
                state = .draining
            }
        }
    }

    /// Refuses everything from now on, discards what is still queued (counted as dropped for
    /// shutdown) and wakes every waiting producer so it can return.
    package func closeIntake() {
        lock.withLock { _ = queue.close() }
        roomAvailable.broadcast()
    }

    /// Settles everything still in flight as dropped for shutdown (the deadline passed).
    package func settleAllPending() {
        let now = LogTimestamp.now().nanosecondsSinceEpoch
        lock.withLock { ledger.settleAllPending(now: now) }
    }

    package func markStopped() {
        lock.withLock { state = .stopped }
    }

    package var pipelineState: PipelineState {
        lock.withLock { state }
    }

    // MARK: Sink activity

    package func sinkOperationStarted(_ index: Int) {
        let now = MonotonicTime.nanoseconds()
        lock.withLock { ledger.sinks[index].busySince = now }
    }

    /// Ends the operation in progress; `error` is its failure, if any. Writes are timed.
    package func sinkOperationFinished(_ index: Int, error: (any Error)?, isWrite: Bool) {
        let now = MonotonicTime.nanoseconds()
        // A sink's error is user code: describe it before taking the hot-path lock.
        let errorText = error.map { String(describing: $0) }
        lock.withLock {
            var sink = ledger.sinks[index]
            if isWrite, let since = sink.busySince, now >= since {
                sink.writeNanoseconds &+= now - since
                sink.timedWrites += 1
            }
            sink.busySince = nil
            if let errorText {
                sink.errors += 1
                sink.consecutiveFailures += 1
                sink.lastError = errorText
            } else if isWrite {
                // Only a successful write proves the sink works again; a no-op flush does not.
                sink.consecutiveFailures = 0
            }
            ledger.sinks[index] = sink
        }
    }

    /// A batch a sink accepted earlier was delivered (`error == nil`) or given up on. Like a write,
    /// success clears the run of failures and failure extends it.
    package func sinkDeliveryFinished(_ index: Int, error: (any Error)?) {
        let errorText = error.map { String(describing: $0) }
        lock.withLock {
            if let errorText {
                ledger.sinks[index].errors += 1
                ledger.sinks[index].consecutiveFailures += 1
                ledger.sinks[index].lastError = errorText
            } else {
                ledger.sinks[index].consecutiveFailures = 0
            }
        }
    }

    package func sinkFlushed(_ index: Int) {
        lock.withLock { ledger.sinks[index].flushes += 1 }
    }

    package func sinkClosed(_ index: Int) {
        lock.withLock { ledger.sinks[index].closed = true }
    }

    package func flushCompleted() {
        lock.withLock { ledger.flushes += 1 }
    }

    // MARK: Stats

    /// Extra per-sink facts that live outside the lock.
    package struct SinkExtras {
        var inboxDepth: Int
        var inboxStalled: Bool
        var bytes: Int?
    }

    /// A consistent snapshot of every counter.
    package func snapshot(sinkExtras: [SinkExtras]) -> PipelineStats {
        let now = MonotonicTime.nanoseconds()
        let stallNanoseconds = Self.nanoseconds(stallTimeout)
        let uptime = createdAt.duration(to: .now)
        return lock.withLock {
            let latency = ledger.latency
            let sinks = ledger.sinks.enumerated().map { index, sink in
                let extras = sinkExtras[index]
                let status: SinkStatus
                if sink.closed {
                    status = .closed
                } else if extras.inboxStalled
                    || (sink.busySince.map { now > $0 && now - $0 > stallNanoseconds } ?? false)
                {
                    status = .stalled
                } else if sink.consecutiveFailures > 0 {
                    status = .failing(consecutiveFailures: sink.consecutiveFailures)
                } else {
                    status = .healthy
                }
                return SinkStats(
                    name: sink.name,
                    level: sink.level,
                    written: sink.written,
                    dropped: sink.dropped,
                    bytes: extras.bytes,
                    batches: sink.batches,
                    flushes: sink.flushes,
                    errors: sink.errors,
                    lastError: sink.lastError,
                    inboxDepth: extras.inboxDepth,
                    meanWriteDuration: .nanoseconds(
                        sink.timedWrites == 0 ? 0 : Int64(sink.writeNanoseconds / UInt64(sink.timedWrites))
                    ),
                    status: status
                )
            }
            return PipelineStats(
                state: state,
                logged: queue.logged,
                written: ledger.written,
                dropped: DropCounts(
                    overflow: queue.droppedOverflow,
                    sinkFailure: ledger.droppedSinkFailure,
                    shutdown: queue.droppedShutdown + ledger.droppedShutdown
                ),
                inFlight: queue.count + ledger.outstanding,
                queueDepth: queue.count,
                queueCapacity: queue.capacity,
                queueHighWaterMark: queue.highWaterMark,
                batches: ledger.batches,
                flushes: ledger.flushes,
                meanLatency: latency.mean,
                maxLatency: latency.max,
                uptime: uptime,
                sinks: sinks
            )
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(clamping: attoseconds / 1_000_000_000)
    }
}
