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
/// By default (``ExecutionMode/dedicatedThreads``) the collector runs on a thread the pipeline owns,
/// and each sink on a thread of its own, so the pipeline keeps draining when every thread of Swift's
/// cooperative pool is busy and blocking I/O never runs on that pool. ``ExecutionMode/synchronous``
/// and ``ExecutionMode/cooperative`` start no threads of their own; see <doc:ExecutionModes>.
///
/// - Important: `LogPipeline` is `Sendable`; every method may be called from any task or thread.
///   Records from one thread reach each sink in the order they were logged, and so do records from one
///   task, unless the wall clock steps backwards between two of its calls made on different threads.
///   Records from different threads are ordered by their timestamps. Call
///   ``shutdown(timeout:)`` before the process exits; a process that returns from `main` or calls
///   `exit()` without it still has its queued records written by the exit drain (unless
///   `drainAtExit` is `false`), but a crash or `kill -9` loses what is still queued.
public final class LogPipeline: Sendable {
    package let core: PipelineStorage
    /// The collector, except in synchronous mode.
    private let collector: Collector?
    /// Synchronous mode's collector: log calls write out on the calling thread.
    private let direct: DirectDelivery?
    package let collectorExecutor: ThreadExecutor
    /// Runs the pipeline's executors as tasks (cooperative and synchronous modes).
    package let host: CooperativeHost?
    private let drivers: [SinkDriver]
    private let events: CollectorEvents
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

    /// Where the pipeline does its work: the mode it was created with, or
    /// ``ExecutionMode/synchronous`` if it could not start a thread of its own.
    public let mode: ExecutionMode

    /// The levels the code configured (before `LOG_LEVEL`), for ``reloadLevels()``.
    package let configuredLevels: LevelPolicy
    /// The environment variable levels are read from, if any.
    package let levelEnvironmentVariable: String?

    /// How long a shutdown that the pipeline starts by itself may take: on graceful shutdown of a
    /// `ServiceGroup` (trait `ServiceLifecycle`) and on a signal handled by
    /// ``drainOnSignals(_:afterShutdown:onHangup:)``.
    public let shutdownTimeout: Duration

    /// Creates and starts a pipeline.
    ///
    /// - Parameters:
    ///   - sinks: Where records go; at least one.
    ///   - level: The minimum level. By default (`nil`) the lowest level any sink was given
    ///     explicitly (`FileSink(path:level: .debug)` makes the pipeline log debug records), or
    ///     `.info` when no sink was given one. The environment variable below can replace it.
    ///   - labelLevels: Per-label levels, applying to a label and its children
    ///     (`["api.db": .debug]` covers `api.db` and `api.db.pool`).
    ///   - levelEnvironmentVariable: A variable read at start-up, `LOG_LEVEL` by default; `nil` to
    ///     ignore the environment. Its value is a level (`debug`) and/or `label=level` items separated
    ///     by commas (`info,api.db=trace`). When set it is the whole configuration: its `label=level`
    ///     items replace `labelLevels` (labels it does not name fall back to the minimum), and its
    ///     level, if it names one, replaces `level`.
    ///   - batching: Batch size and delay.
    ///   - queue: Queue capacity and overflow policy.
    ///   - delivery: Sink inbox size and stall timeout.
    ///   - mode: Where the pipeline's work runs; default ``ExecutionMode/dedicatedThreads``. If a
    ///     thread cannot be started, the pipeline runs as ``ExecutionMode/synchronous`` instead and
    ///     reports it once to `onInternalError`.
    ///   - flushLevel: A record at or above this level makes every sink write out and flush
    ///     (`fdatasync` where its durability policy says so) right away, without the caller waiting;
    ///     default `nil` (off). spdlog calls this `flush_on`.
    ///   - drainAtExit: Whether a process that returns from `main` or calls `exit()` without
    ///     ``shutdown(timeout:)`` still has the queued records written (within `shutdownTimeout`),
    ///     from an `atexit` handler; default `true`.
    ///   - shutdownTimeout: How long a shutdown the pipeline starts by itself may take (on a
    ///     service group's graceful shutdown, a handled signal, or at exit); default 5 seconds.
    ///   - stages: Redaction, sampling, rate limiting, deduplication, transformers and a backtrace;
    ///     default ``StageOptions/init(redaction:sampling:rateLimit:deduplication:transformers:backtrace:)``
    ///     with its defaults, which redacts the values of ``Redaction/defaultKeys`` and nothing else.
    ///   - onInternalError: Where sink failures are reported; default standard error, rate-limited.
    /// - Throws: ``SluiceError`` (``SluiceError/Code/invalidConfiguration`` or
    ///   ``SluiceError/Code/invalidLogLevel``) with a message saying what to change.
    public init(
        sinks: [any LogSink],
        level: LogLevel? = nil,
        labelLevels: [String: LogLevel] = [:],
        levelEnvironmentVariable: String? = "LOG_LEVEL",
        batching: BatchingOptions = BatchingOptions(),
        queue: QueueOptions = QueueOptions(),
        delivery: DeliveryOptions = DeliveryOptions(),
        mode: ExecutionMode = .dedicatedThreads,
        flushLevel: LogLevel? = nil,
        drainAtExit: Bool = true,
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
        let configuredLevels = LevelPolicy(minimum: level ?? Self.defaultLevel(for: sinks), overrides: labelLevels)
        var levels = configuredLevels
        if let variable = levelEnvironmentVariable, let raw = getenv(variable) {
            try levels.apply(specification: String(cString: raw), source: "environment variable \(variable)")
        }
        self.configuredLevels = configuredLevels
        self.levelEnvironmentVariable = levelEnvironmentVariable

        let names = Self.uniqueNames(sinks.map(\.name))
        sinkNames = names
        let events = CollectorEvents()
        self.events = events
        reportError = onInternalError.handle

        // Where the work runs. Dedicated threads start now, so a thread limit shows here.
        let pipelineID = PipelineStorage.makeID()
        let collectorExecutor = ThreadExecutor(name: "sluice-collector", pipelineID: pipelineID)
        let sinkExecutors = sinks.enumerated().map {
            SinkDriver.executor(for: $1, index: $0, pipelineID: pipelineID)
        }
        let backgroundExecutors = sinks.flatMap { ($0 as? any SinkExecutorOwning)?.backgroundExecutors ?? [] }
        var effectiveMode = mode
        var fallback: InternalError?
        if case .dedicatedThreads = mode.kind {
            for executor in [collectorExecutor] + sinkExecutors + backgroundExecutors {
                let rc = executor.startThread()
                guard rc != 0 else { continue }
                effectiveMode = .synchronous
                fallback = InternalError(
                    kind: .threadUnavailable, sinkName: nil,
                    message:
                        "could not start thread '\(executor.name)' (pthread_create: \(SluiceError.describe(errno: rc))); running in synchronous mode instead: log calls write their records on the calling thread"
                )
                for started in [collectorExecutor] + sinkExecutors + backgroundExecutors {
                    started.stop()
                }
                break
            }
        }
        self.mode = effectiveMode
        let host: CooperativeHost? =
            switch effectiveMode.kind {
            case .dedicatedThreads: nil
            case .synchronous: CooperativeHost(target: .global, isSynchronous: true)
            case .cooperative(let target): CooperativeHost(target: target)
            }
        self.host = host
        if let host {
            for executor in [collectorExecutor] + sinkExecutors + backgroundExecutors {
                executor.runOn(host)
            }
        }
        self.collectorExecutor = collectorExecutor

        let core = PipelineStorage(
            queue: queue,
            batchSize: batching.maxRecords,
            levels: levels,
            sinks: zip(names, sinks).map { ($0, $1.level) },
            stallTimeout: delivery.stallTimeout,
            events: events,
            flushLevel: flushLevel,
            synchronous: effectiveMode.isSynchronous,
            timers: collectorExecutor,
            host: host,
            id: pipelineID,
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
                executor: sinkExecutors[index],
                reportError: onInternalError.handle
            )
        }
        self.drivers = drivers
        if let host {
            // A thread waiting for room helps the pipeline along instead of only waiting. Weakly:
            // the storage holds the collector's executor, which holds the host.
            host.onWork { [weak core] in
                guard let core else { return }
                core.lock.withLock { core.roomAvailable.broadcast() }
            }
        }
        if effectiveMode.isSynchronous {
            let direct = DirectDelivery(
                core: core, drivers: drivers, batchSize: batching.maxRecords, stallTimeout: delivery.stallTimeout,
                executor: collectorExecutor, filters: filters, reportError: onInternalError.handle)
            core.directDelivery = direct
            self.direct = direct
            collector = nil
            // Nobody reads the collector's events in this mode.
            events.finish()
        } else {
            direct = nil
            collector = Collector(
                executor: collectorExecutor,
                core: core,
                drivers: drivers,
                batching: batching,
                stallTimeout: delivery.stallTimeout,
                events: events,
                filters: filters,
                reportError: onInternalError.handle
            )
        }
        for driver in drivers where direct == nil || driver.direct == nil {
            driver.start()
        }
        if let collector {
            Task(name: "sluice collector", executorPreference: collectorExecutor) {
                await collector.run()
            }
        }
        for sink in sinks {
            (sink as? any SinkExecutorOwning)?.startBackgroundWork()
        }
        if let fallback {
            onInternalError.handle(fallback)
        }
        reportUnreachableSinkLevels(levels: levels)
        if drainAtExit {
            ExitDrain.register(self)
        }
    }

    /// The pipeline's level when none is given: the lowest level a sink was given explicitly, or
    /// `.info`.
    private static func defaultLevel(for sinks: [any LogSink]) -> LogLevel {
        sinks.filter(hasLevelOfItsOwn).map(\.level).min() ?? .info
    }

    /// Whether a sink asked for a level: a built-in sink created with one, or a sink of your own
    /// with a level above `.trace` (which sinks use to mean "everything I am given").
    private static func hasLevelOfItsOwn(_ sink: any LogSink) -> Bool {
        if let following = sink as? any LevelFollowingSink {
            return !following.followsPipelineLevel
        }
        return sink.level > .trace
    }

    /// Reports, once, sinks that accept records below anything the pipeline logs: they would never
    /// get those records, which the configuration probably did not mean.
    private func reportUnreachableSinkLevels(levels: LevelPolicy) {
        let lowest = levels.lowestLevel
        for (index, driver) in drivers.enumerated() {
            let sink = driver.sink
            guard sink.level < lowest, Self.hasLevelOfItsOwn(sink) else { continue }
            reportError(
                InternalError(
                    kind: .sinkLevelUnreachable, sinkName: sinkNames[index],
                    message:
                        "it accepts \(sink.level) records, but the pipeline logs nothing below \(lowest), so it gets none of them; pass level: .\(sink.level) to the pipeline (or set LOG_LEVEL=\(sink.level)), or give the sink level .\(lowest)"
                ))
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
        if let timeout = queue.overflow.waitTimeout, timeout <= .zero {
            throw fail(
                "the overflow policy block(timeout: \(timeout)) needs a positive timeout (100 ms is a common choice); use .block to wait without one"
            )
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
        let barrier: FlushBarrier
        switch startBarrier(reopen: reopen) {
        case .finished(let result):
            return result
        case .started(let started):
            barrier = started
        }
        let timer = deadline.map { deadline in
            collectorExecutor.schedule(at: deadline) {
                barrier.promise.fulfill(.timedOut(pendingSinks: barrier.pendingSinkNames))
            }
        }
        let result = await barrier.promise.wait(cancellingWith: { .cancelled(pendingSinks: barrier.pendingSinkNames) })
        if let timer {
            collectorExecutor.cancel(timer)
        }
        return endBarrier(barrier, result: result, reopen: reopen)
    }

    private enum BarrierStart {
        case started(FlushBarrier)
        /// After shutdown: nothing to flush.
        case finished(FlushResult)
    }

    /// Registers a barrier and sends it on its way: through the collector, or (synchronous mode)
    /// through the sinks on this thread.
    private func startBarrier(reopen: Bool) -> BarrierStart {
        let barrier = FlushBarrier(sinkNames: sinkNames)
        let key = ObjectIdentifier(barrier)
        let registered = barriers.withLock { registry in
            guard !registry.closed else { return false }
            registry.active[key] = barrier
            return true
        }
        guard registered else {
            return .finished(
                shutdownReport.value?.timedOut == true
                    ? .timedOut(pendingSinks: shutdownReport.value?.unfinishedSinks ?? []) : .completed)
        }
        if let direct {
            direct.pass(barrier, reopen: reopen)
        } else {
            events.yield(reopen ? .reopen(barrier) : .flush(barrier))
        }
        return .started(barrier)
    }

    private func endBarrier(_ barrier: FlushBarrier, result: FlushResult, reopen: Bool) -> FlushResult {
        barriers.withLock { _ = $0.active.removeValue(forKey: ObjectIdentifier(barrier)) }
        if result == .completed && !reopen {
            core.flushCompleted()
        }
        return result
    }

    // MARK: Blocking

    /// ``flush(timeout:)`` for code that cannot `await`: an `atexit` handler, a signal-driven path,
    /// a C callback. Blocks the calling thread until every record logged before the call was
    /// written and flushed by every sink, or `timeout` passes.
    ///
    /// ```swift
    /// atexit { _ = sharedPipeline.flushBlocking(timeout: .seconds(2)) }
    /// ```
    ///
    /// - Important: It never deadlocks on Sluice's own threads: called from one (a sink, an
    ///   internal-error handler, an `afterShutdown` action) it cannot wait for the pipeline without
    ///   waiting for itself, so it starts the flush and returns ``FlushResult/timedOut(pendingSinks:)``
    ///   at once, naming every sink. In cooperative mode the waiting thread runs the pipeline's
    ///   pending work meanwhile, so a caller on Swift's cooperative pool cannot starve it.
    /// - Parameter timeout: The longest to block.
    /// - Returns: How the flush ended.
    @discardableResult
    public func flushBlocking(timeout: Duration) -> FlushResult {
        let deadline = MonotonicTime.nanoseconds(at: ContinuousClock.now.advanced(by: timeout))
        let barrier: FlushBarrier
        switch startBarrier(reopen: false) {
        case .finished(let result):
            return result
        case .started(let started):
            barrier = started
        }
        guard !PipelineThread.isCurrent else {
            // The barrier goes on by itself; this thread must not wait for it.
            barriers.withLock { _ = $0.active.removeValue(forKey: ObjectIdentifier(barrier)) }
            return .timedOut(pendingSinks: sinkNames)
        }
        let result =
            waitBlocking(for: barrier.promise, untilMonotonicNanoseconds: deadline)
            ?? .timedOut(pendingSinks: barrier.pendingSinkNames)
        return endBarrier(barrier, result: result, reopen: false)
    }

    /// ``shutdown(timeout:)`` for code that cannot `await` (the exit drain uses it). On one of
    /// Sluice's own threads it starts the shutdown and returns at once: the finished report if
    /// there is one, else a report that says the deadline passed.
    ///
    /// - Parameter timeout: The longest the whole shutdown may take.
    /// - Returns: What was written and dropped, and whether the deadline passed.
    @discardableResult
    public func shutdownBlocking(timeout: Duration) -> ShutdownReport {
        let started = ContinuousClock.now
        beginShutdown(timeout: timeout)
        let unfinished = ShutdownReport(
            timedOut: true, unfinishedSinks: sinkNames, duration: started.duration(to: .now), stats: stats)
        guard !PipelineThread.isCurrent else {
            return shutdownReport.value ?? unfinished
        }
        // The shutdown keeps its own deadline; a little more lets its report arrive.
        let deadline = MonotonicTime.nanoseconds(at: started.advanced(by: timeout + .milliseconds(500)))
        return waitBlocking(for: shutdownReport, untilMonotonicNanoseconds: deadline) ?? unfinished
    }

    /// Blocks until `promise` has a value or the deadline passes. Where the pipeline runs as tasks,
    /// the waiting thread runs the pipeline's pending work meanwhile, so that it cannot starve it.
    private func waitBlocking<Value: Sendable>(
        for promise: Promise<Value>,
        untilMonotonicNanoseconds deadline: UInt64
    ) -> Value? {
        guard let host else {
            return promise.wait(untilMonotonicNanoseconds: deadline)
        }
        var mark = host.beginHelping()
        defer { host.endHelping() }
        while true {
            if let value = promise.value {
                return value
            }
            let now = MonotonicTime.nanoseconds()
            guard now < deadline else { return nil }
            if host.helpOnce() || host.workArrived(since: mark) {
                mark = host.beginHelping()
                host.endHelping()
                continue
            }
            // Nothing to run here: the work is on another thread or waits for a timer.
            if let value = promise.wait(untilMonotonicNanoseconds: min(deadline, now + 2_000_000)) {
                return value
            }
        }
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
            if let direct, drivers.allSatisfy({ $0.direct != nil }) {
                // Synchronous mode with sinks written here: the whole shutdown runs on this thread.
                let started = ContinuousClock.now
                direct.drainForShutdown()
                finishShutdown(started: started, timedOut: false)
                return
            }
            Task(name: "sluice shutdown", executorPreference: collectorExecutor) {
                await self.runShutdown(deadline: deadline)
            }
        }
    }

    private func runShutdown(deadline: ContinuousClock.Instant) async {
        let started = ContinuousClock.now
        let drained: Promise<Void>
        if let collector {
            drained = collector.finished
            events.yield(.shutdown(deadline: deadline))
        } else if let direct {
            drained = direct.finished
            // Blocking work, apart from this task so that the deadline below can still win.
            Task.detached(name: "sluice shutdown drain") { direct.drainForShutdown() }
        } else {
            preconditionFailure("internal inconsistency: a pipeline with neither a collector nor direct delivery")
        }

        let timedOut = await withTaskGroup(of: Bool.self) { group in
            group.addTask { [drivers] in
                guard await drained.waitUnlessCancelled() != nil else { return true }
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
        finishShutdown(started: started, timedOut: timedOut)
    }

    /// Settles what the deadline left pending, stops the pipeline and hands out the report.
    private func finishShutdown(started: ContinuousClock.Instant, timedOut: Bool) {
        var unfinished: [String] = []
        if timedOut {
            core.closeIntake()
            for driver in drivers where driver.finished.value == nil {
                unfinished.append(driver.name)
                // A network sink still retrying stops now; what it held is settled below.
                driver.settling?.abandonPending()
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
        ExitDrain.unregister(self)
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
