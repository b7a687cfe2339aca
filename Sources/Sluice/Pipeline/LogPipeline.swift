#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A logging pipeline: loggers → bounded queue → collector → formats → sinks.
///
/// Create one per process at start-up, hand out ``SluiceLogger``s, and shut it down when the process
/// stops so every queued record reaches its sinks.
///
/// ```swift
/// let pipeline = try LogPipeline(
///     sinks: [
///         ConsoleSink(level: .info, format: .text),
///         try FileSink(path: "logs/app.log", level: .debug, format: .json),
///     ],
///     batching: .init(maxRecords: 512, maxDelay: .milliseconds(50)),
///     queue: .init(capacity: 65_536, overflow: .dropOldest)
/// )
/// let log = pipeline.logger(label: "api")
/// log.info("request handled", metadata: ["status": 200])
///
/// let flushed = await pipeline.flush(timeout: .seconds(2))
/// let report = await pipeline.shutdown(timeout: .seconds(5))
/// print(pipeline.stats)
/// ```
///
/// The collector runs on a thread the pipeline owns, and each sink on a thread of its own, so the
/// pipeline keeps draining when every thread of Swift's cooperative pool is busy and blocking I/O
/// never runs on that pool.
///
/// - Important: `LogPipeline` is `Sendable`; every method may be called from any task or thread.
///   Records from one thread reach each sink in the order they were logged, and so do records from one
///   task, unless the wall clock steps backwards between two of its calls made on different threads.
///   Records from different threads are ordered by their timestamps. Call
///   ``shutdown(timeout:)`` before the process exits: records still queued when it exits without a
///   shutdown are lost.
public final class LogPipeline: Sendable {
    package let core: PipelineStorage
    private let collector: Collector
    package let collectorExecutor: ThreadExecutor
    private let drivers: [SinkDriver]
    private let events: AsyncStream<CollectorEvent>.Continuation
    private let reportError: @Sendable (InternalError) -> Void
    private let shutdownState = LockedValue(ShutdownStateMachine())
    package let shutdownReport = Promise<ShutdownReport>()
    private let barriers = LockedValue(BarrierRegistry())

    private struct BarrierRegistry {
        var active: [ObjectIdentifier: FlushBarrier] = [:]
        var closed = false
    }

    /// The sinks' names, in order (made unique with a `#2` suffix where needed).
    public let sinkNames: [String]

    /// How long a shutdown that the pipeline starts by itself may take: on graceful shutdown of a
    /// `ServiceGroup` (trait `ServiceLifecycle`) and on a signal handled by
    /// ``drainOnSignals(_:afterShutdown:onHangup:)``.
    public let shutdownTimeout: Duration

    /// Creates and starts a pipeline.
    ///
    /// - Parameters:
    ///   - sinks: Where records go; at least one.
    ///   - level: The minimum level; default `.info`. Overridden by the environment variable below.
    ///   - labelLevels: Per-label levels, applying to a label and its children
    ///     (`["api.db": .debug]` covers `api.db` and `api.db.pool`).
    ///   - levelEnvironmentVariable: A variable read at start-up, `LOG_LEVEL` by default; `nil` to
    ///     ignore the environment. Its value is a level (`debug`) and/or `label=level` items separated
    ///     by commas (`info,api.db=trace`); when set it wins over `level` and `labelLevels`, so
    ///     operators can change verbosity without a rebuild.
    ///   - batching: Batch size and delay.
    ///   - queue: Queue capacity and overflow policy.
    ///   - delivery: Sink inbox size and stall timeout.
    ///   - shutdownTimeout: How long a shutdown the pipeline starts by itself may take (on a
    ///     service group's graceful shutdown or a handled signal); default 5 seconds.
    ///   - stages: Redaction, sampling, rate limiting, deduplication, transformers and a backtrace;
    ///     default ``StageOptions/init(redaction:sampling:rateLimit:deduplication:transformers:backtrace:)``
    ///     with its defaults, which redacts the values of ``Redaction/defaultKeys`` and nothing else.
    ///   - onInternalError: Where sink failures are reported; default standard error, rate-limited.
    /// - Throws: ``SluiceError`` (``SluiceError/Code/invalidConfiguration`` or
    ///   ``SluiceError/Code/invalidLogLevel``) with a message saying what to change.
    public init(
        sinks: [any LogSink],
        level: LogLevel = .info,
        labelLevels: [String: LogLevel] = [:],
        levelEnvironmentVariable: String? = "LOG_LEVEL",
        batching: BatchingOptions = BatchingOptions(),
        queue: QueueOptions = QueueOptions(),
        delivery: DeliveryOptions = DeliveryOptions(),
        shutdownTimeout: Duration = .seconds(5),
        stages: StageOptions = StageOptions(),
        onInternalError: InternalErrorHandler = .standardError
    ) throws(SluiceError) {
        // A filtered sink is its base sink for everything but routing.
        let filters = sinks.map { ($0 as? FilteredSink)?.filter }
        let sinks = sinks.map { ($0 as? FilteredSink)?.base ?? $0 }
        try Self.validate(sinks: sinks, batching: batching, queue: queue, delivery: delivery)
        try stages.validate()
        if (filters.contains { $0 != nil } || stages.backtrace != nil) && sinks.count > 64 {
            throw SluiceError(
                .invalidConfiguration,
                "\(sinks.count) sinks with sink filters or a backtrace; use at most 64 sinks with those stages")
        }
        guard shutdownTimeout >= .zero else {
            throw SluiceError(
                .invalidConfiguration,
                "shutdownTimeout is \(shutdownTimeout); it must not be negative (5 seconds is a good default)")
        }
        self.shutdownTimeout = shutdownTimeout
        var levels = LevelPolicy(minimum: level, overrides: labelLevels)
        if let variable = levelEnvironmentVariable, let raw = getenv(variable) {
            try levels.apply(specification: String(cString: raw), source: "environment variable \(variable)")
        }

        let names = Self.uniqueNames(sinks.map(\.name))
        sinkNames = names
        let (stream, continuation) = AsyncStream<CollectorEvent>.makeStream()
        events = continuation
        reportError = onInternalError.handle
        let core = PipelineStorage(
            queue: queue,
            batchSize: batching.maxRecords,
            levels: levels,
            sinks: zip(names, sinks).map { ($0, $1.level) },
            stallTimeout: delivery.stallTimeout,
            events: continuation,
            stages: stages
        )
        self.core = core
        let drivers = sinks.enumerated().map { index, sink in
            SinkDriver(
                index: index,
                name: names[index],
                sink: sink,
                inboxCapacity: delivery.inboxCapacity,
                core: core,
                reportError: onInternalError.handle
            )
        }
        self.drivers = drivers
        collectorExecutor = ThreadExecutor(name: "sluice-collector", pipelineID: core.id)
        collector = Collector(
            executor: collectorExecutor,
            core: core,
            drivers: drivers,
            batching: batching,
            stallTimeout: delivery.stallTimeout,
            ticks: continuation,
            filters: filters,
            reportError: onInternalError.handle
        )
        for driver in drivers {
            driver.start()
        }
        Task(name: "sluice collector", executorPreference: collectorExecutor) { [collector] in
            await collector.run(stream)
        }
    }

    private static func validate(
        sinks: [any LogSink],
        batching: BatchingOptions,
        queue: QueueOptions,
        delivery: DeliveryOptions
    ) throws(SluiceError) {
        func fail(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, message)
        }
        guard !sinks.isEmpty else {
            throw fail("a pipeline needs at least one sink; pass e.g. sinks: [ConsoleSink()]")
        }
        guard queue.capacity > 0 else {
            throw fail("queue capacity is \(queue.capacity); it must be at least 1 (65,536 is a good default)")
        }
        guard queue.maxBytes >= 1 << 20 else {
            throw fail(
                "queue maxBytes is \(queue.maxBytes); it must be at least 1 MiB (1,048,576) so a few batches of records fit (16 MiB is the default)"
            )
        }
        guard queue.maxBytes <= 1 << 32 else {
            throw fail("queue maxBytes is \(queue.maxBytes); it can be at most 4 GiB (4,294,967,296)")
        }
        guard batching.maxRecords > 0 else {
            throw fail("batching maxRecords is \(batching.maxRecords); it must be at least 1 (512 is a good default)")
        }
        guard batching.maxRecords <= queue.capacity else {
            throw fail(
                "batching maxRecords (\(batching.maxRecords)) is larger than the queue capacity (\(queue.capacity)); a batch could never fill. Lower maxRecords or raise the capacity"
            )
        }
        guard batching.maxDelay >= .zero else {
            throw fail("batching maxDelay is \(batching.maxDelay); it must not be negative")
        }
        guard delivery.inboxCapacity > 0 else {
            throw fail("delivery inboxCapacity is \(delivery.inboxCapacity); it must be at least 1 batch")
        }
        guard delivery.stallTimeout > .zero else {
            throw fail(
                "delivery stallTimeout is \(delivery.stallTimeout); it must be positive (5 seconds is a good default)")
        }
    }

    private static func uniqueNames(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return names.map { name in
            let count = (seen[name] ?? 0) + 1
            seen[name] = count
            return count == 1 ? name : "\(name)#\(count)"
        }
    }

    // MARK: Loggers

    /// A logger with `label`, at the level configured for that label.
    ///
    /// ```swift
    /// let log = pipeline.logger(label: "api", metadata: ["service": "checkout"])
    /// ```
    ///
    /// - Parameters:
    ///   - label: A dotted name such as `"api"` or `"api.db"`; per-label levels match it and its
    ///     children.
    ///   - metadata: Metadata every record from this logger carries.
    /// - Returns: The logger.
    public func logger(label: String, metadata: LogMetadata = [:]) -> SluiceLogger {
        SluiceLogger(label: label, metadata: metadata, core: core)
    }

    // MARK: Flush

    /// Waits until every record logged before this call (and not counted as dropped) has been written
    /// by every sink and flushed to the operating system.
    ///
    /// Concurrent flushes are fine. After shutdown it returns at once.
    ///
    /// - Returns: ``FlushResult/completed``, or how it ended otherwise.
    @discardableResult
    public func flush() async -> FlushResult {
        await flush(deadline: nil)
    }

    /// Like ``flush()``, but returns ``FlushResult/timedOut(pendingSinks:)`` once `timeout` passes,
    /// even if a sink is hung.
    ///
    /// ```swift
    /// if case .timedOut(let pending) = await pipeline.flush(timeout: .seconds(2)) {
    ///     print("not flushed yet: \(pending)")
    /// }
    /// ```
    ///
    /// - Parameter timeout: The longest to wait.
    /// - Returns: How the flush ended.
    @discardableResult
    public func flush(timeout: Duration) async -> FlushResult {
        await flush(deadline: ContinuousClock.now.advanced(by: timeout))
    }

    // MARK: Reopen

    /// Asks every sink to reopen its files, in order behind every record logged before the call, and
    /// waits until they have. Call it when `logrotate` (or another tool) moved the log files, for
    /// example from a `SIGHUP` handler:
    ///
    /// ```swift
    /// signal(SIGHUP, SIG_IGN)
    /// let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
    /// hangup.setEventHandler { Task { await pipeline.reopenFiles() } }
    /// hangup.resume()
    /// ```
    ///
    /// Records logged before the call go to the old file; records logged after it to the new one.
    /// ``FileSink`` also notices a moved or truncated file by itself before each batch, so this is
    /// needed only to switch files at a precise moment. Sinks without files ignore it.
    ///
    /// - Parameter timeout: The longest to wait; default 5 seconds.
    /// - Returns: ``FlushResult/completed``, ``FlushResult/failed(sinks:)`` naming the sinks whose
    ///   reopen threw (the error went to `onInternalError`), or how it ended otherwise.
    @discardableResult
    public func reopenFiles(timeout: Duration = .seconds(5)) async -> FlushResult {
        await passBarrier(reopen: true, deadline: ContinuousClock.now.advanced(by: timeout))
    }

    private func flush(deadline: ContinuousClock.Instant?) async -> FlushResult {
        await passBarrier(reopen: false, deadline: deadline)
    }

    /// Sends a flush or reopen barrier through the collector and every sink's inbox, and waits for
    /// it (or the deadline).
    private func passBarrier(reopen: Bool, deadline: ContinuousClock.Instant?) async -> FlushResult {
        let barrier = FlushBarrier(sinkNames: sinkNames)
        let key = ObjectIdentifier(barrier)
        let registered = barriers.withLock { registry in
            guard !registry.closed else { return false }
            registry.active[key] = barrier
            return true
        }
        guard registered else {
            return shutdownReport.value?.timedOut == true
                ? .timedOut(pendingSinks: shutdownReport.value?.unfinishedSinks ?? []) : .completed
        }
        events.yield(reopen ? .reopen(barrier) : .flush(barrier))
        let timer = deadline.map { deadline in
            collectorExecutor.schedule(at: deadline) {
                barrier.promise.fulfill(.timedOut(pendingSinks: barrier.pendingSinkNames))
            }
        }
        let result = await barrier.promise.wait(cancellingWith: { .cancelled(pendingSinks: barrier.pendingSinkNames) })
        if let timer {
            collectorExecutor.cancel(timer)
        }
        barriers.withLock { _ = $0.active.removeValue(forKey: key) }
        if result == .completed && !reopen {
            core.flushCompleted()
        }
        return result
    }

    // MARK: Shutdown

    /// Stops intake, drains the queue, flushes and closes every sink, within `timeout`.
    ///
    /// Closing a ``FileSink`` or ``LabelFileSink`` includes waiting for its background compression
    /// and retention (``FileSink/waitForArchiving()``), so a shutdown that completes in time leaves
    /// the log directory tidy; one that times out may leave an archive uncompressed, which the next
    /// start compresses.
    ///
    /// New log calls are dropped (reason `shutdown`) from the moment this is called; callers already
    /// waiting under the `block` policy still get their records in. Sinks are closed in a task group
    /// that races the deadline; what is still pending at the deadline is counted as dropped and the
    /// report says which sinks did not finish. Calling it again, or concurrently, waits for the same
    /// shutdown and returns the same report.
    ///
    /// ```swift
    /// let report = await pipeline.shutdown(timeout: .seconds(5))
    /// precondition(report.stats.inFlight == 0)
    /// ```
    ///
    /// - Parameter timeout: The longest the whole shutdown may take; default 5 seconds.
    /// - Returns: What was written and dropped, and whether the deadline passed.
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(5)) async -> ShutdownReport {
        beginShutdown(timeout: timeout)
        return await shutdownReport.wait()
    }

    /// Starts the shutdown sequence unless one is running or done; returns at once. The report
    /// arrives in ``shutdownReport``.
    package func beginShutdown(timeout: Duration) {
        if shutdownState.withLock({ $0.requested() }) == .start {
            let deadline = ContinuousClock.now.advanced(by: timeout)
            // Intake stops now, not when the shutdown task gets to run.
            core.beginDraining()
            Task(name: "sluice shutdown", executorPreference: collectorExecutor) {
                await self.runShutdown(deadline: deadline)
            }
        }
    }

    private func runShutdown(deadline: ContinuousClock.Instant) async {
        let started = ContinuousClock.now
        events.yield(.shutdown(deadline: deadline))

        let timedOut = await withTaskGroup(of: Bool.self) { group in
            group.addTask { [collector, drivers] in
                guard await collector.finished.waitUnlessCancelled() != nil else { return true }
                for driver in drivers where await driver.finished.waitUnlessCancelled() == nil {
                    return true
                }
                return false
            }
            group.addTask { [collectorExecutor] in
                await collectorExecutor.sleep(until: deadline)
                return true
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }

        var unfinished: [String] = []
        if timedOut {
            core.closeIntake()
            for driver in drivers where driver.finished.value == nil {
                unfinished.append(driver.name)
                // A network sink still retrying stops now; what it held is settled below.
                (driver.sink as? any SettlingSink)?.abandonPending()
                for batch in driver.inbox.abandon() {
                    core.settle(batch: batch.id, sink: driver.index, outcome: .shutdown)
                    batch.release()
                }
            }
            core.settleAllPending()
            reportError(
                InternalError(
                    kind: .shutdownTimedOut,
                    sinkName: nil,
                    message:
                        "the deadline passed before \(unfinished.isEmpty ? "the queue drained" : "these sinks finished: \(unfinished.joined(separator: ", "))"); what was still pending is counted as dropped"
                )
            )
        }
        core.markStopped()
        events.finish()
        collectorExecutor.stop()

        let report = ShutdownReport(
            timedOut: timedOut,
            unfinishedSinks: unfinished,
            duration: started.duration(to: .now),
            stats: stats
        )
        shutdownState.withLock { $0.finished() }
        let pending = barriers.withLock { registry in
            registry.closed = true
            return Array(registry.active.values)
        }
        for barrier in pending {
            barrier.promise.fulfill(timedOut ? .timedOut(pendingSinks: barrier.pendingSinkNames) : .completed)
        }
        shutdownReport.fulfill(report)
    }

    // MARK: Stats

    /// A snapshot of the pipeline's counters. Cheap (the queue's lock and each stripe's, no `await`)
    /// and consistent: `logged + generated == written + dropped.total + filtered.total + inFlight`.
    public var stats: PipelineStats {
        core.snapshot(
            sinkExtras: drivers.map { driver in
                PipelineStorage.SinkExtras(
                    inboxDepth: driver.inbox.depth,
                    inboxStalled: driver.inbox.isStalled,
                    bytes: driver.sink.bytesWritten
                )
            }
        )
    }

    /// Items (batches and markers) waiting in each sink's inbox, in sink order.
    package var inboxItemCounts: [Int] {
        drivers.map(\.inbox.itemCount)
    }

    /// A summary for readiness and liveness probes.
    public var health: PipelineHealth {
        let stats = self.stats
        return PipelineHealth(
            state: stats.state,
            queueFillRatio: Double(stats.queueDepth) / Double(max(stats.queueCapacity, 1)),
            sinks: stats.sinks.map { SinkHealth(name: $0.name, status: $0.status) },
            stages: stats.transformers.map {
                StageHealth(name: $0.name, consecutiveErrors: $0.consecutiveErrors, lastError: $0.lastError)
            }
        )
    }
}
