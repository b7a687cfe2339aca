/// Takes records from the queue in batches and hands each batch to every sink's inbox.
///
/// The collector is an actor on the pipeline's own thread (a custom `SerialExecutor`), so it keeps
/// draining while producers saturate Swift's cooperative pool. It reacts to one `AsyncStream` of
/// ``CollectorEvent``s: producers' wake-ups, its own batch timer, flush barriers and shutdown. The
/// decisions live in ``BatchingStateMachine``; the collector carries them out.
package actor Collector {
    private let executor: ThreadExecutor
    private let core: PipelineCore
    private let drivers: [SinkDriver]
    private let stallTimeout: Duration
    private let ticks: AsyncStream<CollectorEvent>.Continuation
    private let reportError: @Sendable (InternalError) -> Void
    private var batching: BatchingStateMachine<ContinuousClock>
    private var tickTimer: ThreadExecutor.TimerHandle?
    private var shutdownDeadline: ContinuousClock.Instant?

    /// Fulfilled when the collector has drained the queue at shutdown and queued a close for every
    /// sink.
    package nonisolated let finished = Promise<Void>()

    package nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    package init(
        executor: ThreadExecutor,
        core: PipelineCore,
        drivers: [SinkDriver],
        batching: BatchingOptions,
        stallTimeout: Duration,
        ticks: AsyncStream<CollectorEvent>.Continuation,
        reportError: @escaping @Sendable (InternalError) -> Void
    ) {
        self.executor = executor
        self.core = core
        self.drivers = drivers
        self.stallTimeout = stallTimeout
        self.ticks = ticks
        self.reportError = reportError
        self.batching = BatchingStateMachine(maxRecords: batching.maxRecords, maxDelay: batching.maxDelay)
    }

    /// Processes events until shutdown has drained everything.
    package func run(_ events: AsyncStream<CollectorEvent>) async {
        for await event in events {
            await handle(event)
            if shutdownDeadline != nil && core.isDrained {
                break
            }
        }
        // Every record is now in a sink inbox (or counted); close the sinks behind their batches.
        core.closeIntake()
        cancelTick()
        core.releaseRetired()
        for driver in drivers {
            driver.inbox.enqueueControl(.close)
        }
        finished.fulfill(())
    }

    private func handle(_ event: CollectorEvent) async {
        switch event {
        case .recordsAvailable, .batchReady:
            await perform(batching.recordsArrived(pending: core.pendingCount, now: .now))
        case .tick:
            tickTimer = nil
            await perform(batching.tick(pending: core.pendingCount, now: .now))
        case .flush(let barrier):
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
                core.releaseRetired()
                return
            case .scheduleTick(let deadline):
                cancelTick()
                tickTimer = executor.schedule(at: deadline) { [ticks] in ticks.yield(.tick) }
                core.releaseRetired()
                return
            case .takeFullBatches:
                while let batch = core.takeBatch(upTo: batching.maxRecords, minimum: batching.maxRecords) {
                    await deliver(batch)
                }
            case .takeAll:
                // Bounded by what is queued now, so a steady stream of records cannot keep us here.
                var remaining = core.pendingCount
                while remaining > 0, let batch = core.takeBatch(upTo: min(batching.maxRecords, remaining)) {
                    remaining -= batch.records.count
                    await deliver(batch)
                }
            }
            action = batching.taken(remaining: core.pendingCount, now: .now)
        }
    }

    private func cancelTick() {
        if let tickTimer {
            executor.cancel(tickTimer)
            self.tickTimer = nil
        }
    }

    /// Hands a batch to every sink that accepts some of its records, waiting up to the stall timeout
    /// for a full inbox.
    private func deliver(_ batch: (records: [LogRecord], id: UInt64, routed: [Int])) async {
        for driver in drivers {
            let routed = batch.routed[driver.index]
            guard routed > 0 else { continue }
            let records =
                routed == batch.records.count ? batch.records : batch.records.filter { $0.level >= driver.level }
            switch driver.inbox.offer(batch: batch.id, records: records) {
            case .accepted:
                continue
            case .abandoned:
                core.settle(batch: batch.id, sink: driver.index, outcome: .shutdown)
                continue
            case .full:
                break
            }
            if driver.inbox.isStalled {
                core.settle(batch: batch.id, sink: driver.index, outcome: .stalled)
                continue
            }
            var deadline = ContinuousClock.now.advanced(by: stallTimeout)
            if let shutdownDeadline, shutdownDeadline < deadline {
                deadline = shutdownDeadline
            }
            var outcome: SinkInbox.OfferResult = .full
            while outcome == .full, await driver.inbox.waitForRoom(until: deadline, timers: executor) {
                outcome = driver.inbox.offer(batch: batch.id, records: records)
            }
            switch outcome {
            case .accepted:
                continue
            case .abandoned:
                core.settle(batch: batch.id, sink: driver.index, outcome: .shutdown)
            case .full:
                driver.inbox.markStalled()
                core.settle(batch: batch.id, sink: driver.index, outcome: .stalled)
                reportError(
                    InternalError(
                        kind: .sinkStalled,
                        sinkName: driver.name,
                        message:
                            "its inbox stayed full for \(stallTimeout); dropping \(records.count) records and every batch it cannot take until it catches up"
                    )
                )
            }
        }
    }
}
