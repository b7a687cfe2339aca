/// Takes records from the queue in batches and hands each batch to every sink's inbox.
///
/// The collector is an actor on the pipeline's own thread (a custom `SerialExecutor`), so it keeps
/// draining while producers saturate Swift's cooperative pool. It reacts to one channel of
/// ``CollectorEvent``s (``CollectorEvents``): producers' wake-ups, its own batch timer, flush
/// barriers and shutdown. The decisions live in ``BatchingStateMachine``; the collector carries them
/// out.
package actor Collector {
    private let executor: ThreadExecutor
    private let core: PipelineStorage
    private let drivers: [SinkDriver]
    private let stallTimeout: Duration
    private let events: CollectorEvents
    private let reportError: @Sendable (InternalError) -> Void
    private var batching: BatchingStateMachine<ContinuousClock>
    private var tickTimer: ThreadExecutor.TimerHandle?
    private var shutdownDeadline: ContinuousClock.Instant?
    /// Records taken from the stripes and not yet batched, in order.
    private var assembler = BatchAssembler()
    /// What the batch timer does, made once so scheduling a tick allocates nothing.
    private let tickAction: @Sendable () -> Void
    // Reused from take to take.
    private var cuts = StripeCuts()
    private var runs: [ChunkRun] = []
    /// The processing stages that run here, over every take.
    private let stages: StageRunner
    /// The timer for a run of repeats whose window ends, and when it fires.
    private var stageTimer: ThreadExecutor.TimerHandle?
    private var stageTimerAt: ContinuousClock.Instant?
    private var stageDeadline: Int64?

    /// Fulfilled when the collector has drained the queue at shutdown and queued a close for every
    /// sink.
    package nonisolated let finished = Promise<Void>()

    package nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    package init(
        executor: ThreadExecutor,
        core: PipelineStorage,
        drivers: [SinkDriver],
        batching: BatchingOptions,
        stallTimeout: Duration,
        events: CollectorEvents,
        filters: [SinkFilter?] = [],
        reportError: @escaping @Sendable (InternalError) -> Void
    ) {
        self.executor = executor
        self.core = core
        self.drivers = drivers
        self.stallTimeout = stallTimeout
        self.events = events
        self.reportError = reportError
        tickAction = { [events] in events.yield(.tick) }
        self.batching = BatchingStateMachine(maxRecords: batching.maxRecords, maxDelay: batching.maxDelay)
        stages = StageRunner(
            core: core, filters: filters.isEmpty ? Array(repeating: nil, count: drivers.count) : filters,
            reportError: reportError)
        assembler.runsStages = stages.isActive
        assembler.tracksMasks = stages.usesMasks
        core.rateLimit?.start(on: executor) { [events] in events.yield(.stageTick) }
    }

    /// Processes events until shutdown has drained everything.
    package func run() async {
        while let event = await events.next() {
            await handle(event)
            if shutdownDeadline != nil && core.isDrained {
                // What the stages still hold goes out last: a run of repeats, the last window's
                // rate-limit summaries.
                if stages.finish(into: &assembler, executor: executor) {
                    await perform(batching.flushRequested(pending: core.pendingCount))
                }
                break
            }
            await parkIfIdle()
        }
        // Every record is now in a sink inbox (or counted); close the sinks behind their batches.
        core.closeIntake()
        core.discardStaged(&assembler)
        stages.abandon(executor: executor)
        stages.close()
        cancelTick()
        cancelStageTimer()
        for driver in drivers {
            driver.inbox.enqueueControl(.close)
        }
        finished.fulfill(())
    }

    /// With nothing waiting (or while draining for shutdown, when every record must be taken as it
    /// arrives), tells producers that the next record must wake the collector; records that arrived
    /// before they could see that are found here and handled at once. With a partial batch waiting,
    /// its deadline wakes the collector instead.
    private func parkIfIdle() async {
        guard batching.isIdle || shutdownDeadline != nil else { return }
        core.collectorParks()
        let pending = core.pendingCount
        if pending > 0 && core.collectorUnparks() {
            await perform(batching.recordsArrived(pending: pending, now: .now))
        }
    }

    private func handle(_ event: CollectorEvent) async {
        switch event {
        case .recordsAvailable, .batchReady:
            await perform(batching.recordsArrived(pending: core.pendingCount, now: .now))
        case .pressure:
            // The queue (or its memory) is full: take and hand out everything now.
            await perform(batching.flushRequested(pending: core.pendingCount))
        case .tick:
            tickTimer = nil
            await perform(batching.tick(pending: core.pendingCount, now: .now))
        case .stageTick:
            if let at = stageTimerAt, at <= .now {
                stageTimer = nil
                stageTimerAt = nil
            }
            guard shutdownDeadline == nil else { return }
            if stages.sweep(into: &assembler, now: LogTimestamp.now().nanosecondsSinceEpoch) {
                await perform(batching.flushRequested(pending: core.pendingCount))
            }
            scheduleStageTimer()
        case .flush(let barrier):
            await passBarrier(.flush(barrier), barrier)
        case .flushOnLevel:
            // Re-armed before the take, so a record logged from now on asks again.
            core.flushRequested.store(false, ordering: .sequentiallyConsistent)
            let barrier = FlushBarrier(sinkNames: drivers.map(\.name))
            await passBarrier(.flush(barrier), barrier)
        case .reopen(let barrier):
            await passBarrier(.reopen(barrier), barrier)
        case .shutdown(let deadline):
            shutdownDeadline = deadline
            cancelTick()
            await perform(batching.shutdownRequested(pending: core.pendingCount))
        }
    }

    /// Delivers everything queued, then puts `marker` in every sink's inbox behind those batches.
    private func passBarrier(_ marker: SinkInbox.Item, _ barrier: FlushBarrier) async {
        await perform(batching.flushRequested(pending: core.pendingCount))
        // A flush shows what the stages held back so far (repeats, rate-limited calls) too.
        if stages.flush(into: &assembler) {
            await perform(batching.flushRequested(pending: core.pendingCount))
        }
        for driver in drivers where driver.inbox.enqueueControl(marker) != .accepted {
            // Abandoned at the shutdown deadline: there is nothing left to do for this sink.
            barrier.sinkFinished(driver.index, succeeded: true)
        }
    }

    private func perform(_ first: BatchingStateMachine<ContinuousClock>.Action) async {
        var action = first
        while true {
            switch action {
            case .none:
                return
            case .scheduleTick(let deadline):
                cancelTick()
                tickTimer = executor.schedule(at: deadline, tickAction)
                return
            case .takeFullBatches:
                take(fullBatchesOnly: true)
                while assembler.count >= batching.maxRecords {
                    guard await deliverNext() else { return }
                }
            case .takeAll:
                // Bounded by what is queued now, so a steady stream of records cannot keep us here.
                take(fullBatchesOnly: false)
                while assembler.count > 0 {
                    guard await deliverNext() else { return }
                }
            }
            action = batching.taken(remaining: core.pendingCount, now: .now)
        }
    }

    /// Takes what the stripes hold and runs the stages over it.
    private func take(fullBatchesOnly: Bool) {
        core.take(into: &assembler, cuts: &cuts, runs: &runs, fullBatchesOnly: fullBatchesOnly)
        // Chunks for the records to come are allocated here rather than by the logging threads.
        core.chunks.replenish(spare: core.spareChunks)
        stages.process(&assembler)
        scheduleStageTimer()
    }

    /// Keeps a timer at the end of a pending run of repeats, so it is written when nothing follows.
    private func scheduleStageTimer() {
        guard let deadline = stages.nextDeadline else {
            cancelStageTimer()
            return
        }
        guard deadline != stageDeadline || stageTimer == nil else { return }
        cancelStageTimer()
        let wait = max(0, deadline &- LogTimestamp.now().nanosecondsSinceEpoch)
        let at = ContinuousClock.now.advanced(by: .nanoseconds(wait) + .milliseconds(1))
        stageTimer = executor.schedule(at: at) { [events] in events.yield(.stageTick) }
        stageTimerAt = at
        stageDeadline = deadline
    }

    private func cancelStageTimer() {
        if let stageTimer {
            executor.cancel(stageTimer)
        }
        stageTimer = nil
        stageTimerAt = nil
        stageDeadline = nil
    }

    /// Batches the next staged records and hands them to the sinks. Returns false when intake was
    /// closed meanwhile (the shutdown deadline passed), after discarding what is staged.
    private func deliverNext() async -> Bool {
        guard !core.isClosed else {
            core.discardStaged(&assembler)
            return false
        }
        guard let batch = core.openBatch(from: &assembler, upTo: batching.maxRecords) else { return true }
        await deliver(batch)
        return true
    }

    private func cancelTick() {
        if let tickTimer {
            executor.cancel(tickTimer)
            self.tickTimer = nil
        }
    }

    /// Hands a batch to every sink that accepts some of its records, waiting up to the stall timeout
    /// for a full inbox. Each sink that does not get it releases it at once.
    private func deliver(_ batch: RecordBatch) async {
        batch.share(with: drivers.count { batch.routed(toSink: $0.index, level: $0.level) > 0 })
        for driver in drivers {
            let routed = batch.routed(toSink: driver.index, level: driver.level)
            guard routed > 0 else { continue }
            switch driver.inbox.offer(batch) {
            case .accepted:
                continue
            case .abandoned:
                core.settle(batch: batch.id, sink: driver.index, outcome: .shutdown)
                batch.release()
                continue
            case .full:
                break
            }
            if driver.inbox.isStalled {
                core.settle(batch: batch.id, sink: driver.index, outcome: .stalled)
                batch.release()
                continue
            }
            var deadline = ContinuousClock.now.advanced(by: stallTimeout)
            if let shutdownDeadline, shutdownDeadline < deadline {
                deadline = shutdownDeadline
            }
            var outcome: SinkInbox.OfferResult = .full
            while outcome == .full, await driver.inbox.waitForRoom(until: deadline, timers: executor) {
                outcome = driver.inbox.offer(batch)
            }
            switch outcome {
            case .accepted:
                continue
            case .abandoned:
                core.settle(batch: batch.id, sink: driver.index, outcome: .shutdown)
                batch.release()
            case .full:
                driver.inbox.markStalled()
                core.settle(batch: batch.id, sink: driver.index, outcome: .stalled)
                batch.release()
                reportError(
                    InternalError(
                        kind: .sinkStalled,
                        sinkName: driver.name,
                        message:
                            "its inbox stayed full for \(stallTimeout); dropping \(routed) records and every batch it cannot take until it catches up"
                    )
                )
            }
        }
    }
}
