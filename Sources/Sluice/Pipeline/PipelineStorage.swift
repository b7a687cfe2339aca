import Synchronization

/// The state loggers, the collector and the sinks share: the striped queue of encoded records, the
/// chunks they live in, the queue's shared state and the accounting ledger.
///
/// Each caller has its own extension: producers (`PipelineStorage+Producer.swift`: the log call),
/// the collector (`+Collector.swift`: taking records, opening batches, shutdown), the sinks
/// (`+Sinks.swift`: settling batches, activity) and stats (`+Stats.swift`). Every method there is
/// "lock → ask a state machine → unlock → act"; the decisions live in plain structs
/// (``RecordStripe``, ``RecordChain``, ``QueueState``, ``PipelineLedger``).
///
/// Locks, always taken in this order: `lock` (queue state and ledger), then stripe locks in index
/// order, then the chunk store's lock. A log call usually takes only its own stripe's lock.
//
// @unchecked Sendable is safe: `queue`, `ledger` and `state` are only accessed with `lock` held;
// each stripe only between `stripes.lock(i)` and `stripes.unlock(i)`; `chunks`, `batches` and
// `sources` are thread-safe classes; every other stored property is an immutable `let`.
@usableFromInline
package final class PipelineStorage: @unchecked Sendable {
    package let lock = Lock()
    package let roomAvailable = Condition()
    // Dynamic exclusivity checks are off for these: every access already holds `lock`, which is what
    // guarantees exclusive access.
    @exclusivity(unchecked) package var queue: QueueState
    @exclusivity(unchecked) package var ledger: PipelineLedger
    @exclusivity(unchecked) package var state: PipelineState = .running

    /// Set while the collector waits with nothing pending: only then does a stripe's first record
    /// wake it (at other times it will look again by itself, at its batch deadline or next take).
    package let collectorParked = Atomic<Bool>(true)
    package let stripes: RecordStripes
    package let chunks: ChunkStore
    package let batches: BatchPool
    package let sources: SourceLocationTable
    package let events: AsyncStream<CollectorEvent>.Continuation
    package let batchSize: Int
    package let blockWhenFull: Bool
    package let protectedLevel: LogLevel

    package let levels: LevelPolicy
    /// The lowest level any sink accepts: nothing below it is worth queueing.
    package let minimumSinkLevel: LogLevel
    package let sinkLevels: [LogLevel]
    package let stallTimeout: Duration
    package let createdAt = ContinuousClock.now
    /// Tells this pipeline's threads from other pipelines' (``PipelineThread``, ``PipelineWaits``).
    package let id = PipelineStorage.nextID.withLock { id in
        id += 1
        return id
    }
    private static let nextID = LockedValue<UInt64>(0)

    /// The processing stages' options.
    package let stageOptions: StageOptions
    /// The stages that decide at the call: sampling and the rate limit.
    package let samplingRules: SamplingRules
    package let rateLimit: RateLimitTable?
    /// The lowest level a backtrace keeps, if one is on.
    package let backtraceLevel: LogLevel?
    /// The accounting of the stages in the pipeline; under `lock`.
    @exclusivity(unchecked) package var stageLedger: StageLedger

    package init(
        queue options: QueueOptions,
        batchSize: Int,
        levels: LevelPolicy,
        sinks: [(name: String, level: LogLevel)],
        stallTimeout: Duration,
        events: AsyncStream<CollectorEvent>.Continuation,
        stripes: Int = RecordStripes.defaultCount,
        chunkSize: Int = 64 * 1024,
        sources: SourceLocationTable = .shared,
        stages: StageOptions = .none
    ) {
        self.stripes = RecordStripes(count: stripes)
        queue = QueueState(options: options, stripes: stripes)
        ledger = PipelineLedger(sinks: sinks.map { SinkLedger(name: $0.name, level: $0.level) })
        chunks = ChunkStore(chunkSize: chunkSize, byteLimit: options.maxBytes)
        batches = BatchPool(batchCapacity: batchSize, chunks: chunks, sinks: sinks.count)
        self.sources = sources
        self.events = events
        self.batchSize = batchSize
        blockWhenFull = options.overflow == .block
        protectedLevel = options.protectedLevel
        self.levels = levels
        minimumSinkLevel = sinks.map(\.level).min() ?? .critical
        sinkLevels = sinks.map(\.level)
        self.stallTimeout = stallTimeout
        stageOptions = stages
        samplingRules = SamplingRules(stages.sampling)
        rateLimit = stages.rateLimit.map(RateLimitTable.init)
        backtraceLevel = stages.backtrace?.level
        stageLedger = StageLedger(sinks: sinks.count, transformers: stages.transformers.map(\.name))
    }

    /// The level a logger with `label` should check against.
    package func threshold(for label: String, requested: LogLevel? = nil) -> LogLevel {
        max(requested ?? levels.level(for: label), minimumSinkLevel)
    }

    /// What the stages decide for a logger with `label` (at `requested`, or its configured level):
    /// its thresholds with the backtrace's, its sampler, its label's key in the rate limit.
    package func loggerStages(for label: String, requested: LogLevel? = nil) -> LoggerStages {
        let write = threshold(for: label, requested: requested)
        return LoggerStages(
            threshold: backtraceLevel.map { min($0, write) } ?? write,
            writeThreshold: write,
            sampler: samplingRules.sampler(for: label),
            rateLimit: rateLimit,
            labelKey: rateLimit == nil ? 0 : RateLimitTable.labelKey(label)
        )
    }

    /// Runs `body` with the queue's lock and every stripe's lock held: a consistent view of every
    /// record's place.
    package func withEverythingLocked<R>(_ body: () -> R) -> R {
        lock.lock()
        stripes.lockAll()
        defer {
            stripes.unlockAll()
            lock.unlock()
        }
        return body()
    }
}
