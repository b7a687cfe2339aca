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
// `directDelivery` is written once, by the pipeline's initialiser, before the storage is shared;
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
    package let events: CollectorEvents
    package let batchSize: Int
    /// How many free chunks the collector keeps ready for the stripes at least: one per stripe and a
    /// few more, at most a quarter of what the byte limit allows (``ChunkStore/replenish(spare:)``
    /// keeps more while the backlog is deep).
    package var spareChunks: Int {
        min(stripes.count + 4, chunks.byteLimit / chunks.chunkSize / 4)
    }
    /// Whether a call that finds the queue full waits for room (`block`, `block(timeout:)`).
    package let waitsWhenFull: Bool
    /// How long it waits at most (`block(timeout:)`).
    package let waitTimeout: Duration?
    package let protectedLevel: LogLevel
    /// Records at or above this level call ``requestFlush(level:)`` (the raw value): the flush level
    /// the user chose (above every level when off), or `trace` in synchronous mode, where every
    /// record is written out by its caller.
    package let flushLevel: UInt8
    /// The flush level the user chose (raw value; above every level when off).
    package let flushOnLevel: UInt8
    /// Synchronous mode: writes records out on the calling thread. Set once by the pipeline before
    /// any logger exists.
    package var directDelivery: DirectDelivery?
    /// Set by a record at `flushLevel` until the collector starts the flush it asked for, so a flood
    /// of errors asks once.
    package let flushRequested = Atomic<Bool>(false)
    /// Tasks suspended in an awaitable call until there is room or memory.
    package let roomWaiters: RoomWaiters
    /// The collector's executor: its timers bound waits for room in awaitable calls.
    package let timers: ThreadExecutor
    /// Where the pipeline runs as tasks (cooperative and synchronous modes): a caller that has to
    /// wait for room runs the pipeline's pending work meanwhile.
    package let host: CooperativeHost?

    /// The level configuration and the thresholds of live loggers.
    package let levels: LevelRegistry
    package let sinkLevels: [LogLevel]
    package let stallTimeout: Duration
    package let createdAt = ContinuousClock.now
    /// Tells this pipeline's threads from other pipelines' (``PipelineThread``, ``PipelineWaits``).
    package let id: UInt64
    private static let nextID = LockedValue<UInt64>(0)

    /// A new pipeline identity (a pipeline makes its executors, which carry it, before its storage).
    package static func makeID() -> UInt64 {
        nextID.withLock { id in
            id += 1
            return id
        }
    }
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
        events: CollectorEvents,
        stripes: Int = RecordStripes.defaultCount,
        chunkSize: Int = 64 * 1024,
        sources: SourceLocationTable = .shared,
        flushLevel: LogLevel? = nil,
        synchronous: Bool = false,
        timers: ThreadExecutor? = nil,
        host: CooperativeHost? = nil,
        id: UInt64 = PipelineStorage.makeID(),
        stages: StageOptions = .none
    ) {
        self.id = id
        // A chain never holds more chunks than the byte limit allows (jumbo chunks are larger still),
        // plus its open one; beyond the cap a chain grows, amortised, on the logging thread.
        self.stripes = RecordStripes(
            count: stripes, segmentsPerChain: min(options.maxBytes / chunkSize + 2, 1_024))
        queue = QueueState(options: options, stripes: stripes)
        ledger = PipelineLedger(sinks: sinks.map { SinkLedger(name: $0.name, level: $0.level) })
        let roomWaiters = RoomWaiters()
        self.roomWaiters = roomWaiters
        chunks = ChunkStore(
            chunkSize: chunkSize, byteLimit: options.maxBytes, memoryFreed: { roomWaiters.wakeAll() })
        batches = BatchPool(batchCapacity: batchSize, chunks: chunks, sinks: sinks.count)
        self.sources = sources
        self.events = events
        self.batchSize = batchSize
        waitsWhenFull = options.overflow.waitsForRoom
        waitTimeout = options.overflow.waitTimeout
        protectedLevel = options.protectedLevel
        flushOnLevel = flushLevel?.rawValue ?? UInt8.max
        self.flushLevel = synchronous ? 0 : flushOnLevel
        self.timers = timers ?? ThreadExecutor(name: "sluice-collector", pipelineID: id)
        self.host = host
        self.levels = LevelRegistry(
            policy: levels, minimumSinkLevel: sinks.map(\.level).min() ?? .critical,
            backtraceLevel: stages.backtrace?.level)
        sinkLevels = sinks.map(\.level)
        self.stallTimeout = stallTimeout
        stageOptions = stages
        samplingRules = SamplingRules(stages.sampling)
        rateLimit = stages.rateLimit.map(RateLimitTable.init)
        backtraceLevel = stages.backtrace?.level
        stageLedger = StageLedger(sinks: sinks.count, transformers: stages.transformers.map(\.name))
    }

    /// What the stages decide for a logger with `label`: its sampler and its label's key in the rate
    /// limit. (Its thresholds, the backtrace's level included, are the shared ``LevelThreshold``.)
    package func loggerStages(for label: String) -> LoggerStages {
        LoggerStages(
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
