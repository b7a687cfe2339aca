#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The collector of ``ExecutionMode/synchronous`` mode: the calling thread takes what is queued,
/// batches it and writes it to the sinks, one caller at a time, before its log call returns.
///
/// Sinks the calling thread can write (``SynchronousSink``: the file, console and memory sinks) are
/// written, flushed and closed inline. Other sinks (a network sink, your own) get their batches in
/// their inbox as usual, and their driver runs as tasks on Swift's global executor.
///
/// The processing stages run here as on the collector, over each take. Like the file sinks' syncs,
/// what the stages write by themselves when time passes (a rate-limit window's summaries, a run of
/// repeats whose window ended) waits for the next log call, flush or shutdown: this mode runs no
/// timers.
//
// @unchecked Sendable is safe: the staging state (`assembler`, `cuts`, `runs`, `stages`,
// `nextWindow`) and `drivers` are only touched with `lock` held; `core` is unowned because the storage owns this
// object and outlives every call.
package final class DirectDelivery: @unchecked Sendable {
    private let lock = Lock()
    private unowned let core: PipelineStorage
    /// Emptied once the shutdown closed them: they hold the storage, which holds this object.
    private var drivers: [SinkDriver]
    private let batchSize: Int
    private let stallTimeout: Duration
    private let reportError: @Sendable (InternalError) -> Void
    private var assembler = BatchAssembler()
    private var cuts = StripeCuts()
    private var runs: [ChunkRun] = []
    /// The processing stages, run by whichever caller holds `lock`.
    private let stages: StageRunner
    /// The collector's executor (the rate limit's timer, if any, is stopped on it at shutdown).
    private let executor: ThreadExecutor
    /// When the rate limit's current window ends.
    private var nextWindow: ContinuousClock.Instant?
    /// Fulfilled once the shutdown drained the queue and closed (or queued a close for) every sink.
    package let finished = Promise<Void>()

    package init(
        core: PipelineStorage,
        drivers: [SinkDriver],
        batchSize: Int,
        stallTimeout: Duration,
        executor: ThreadExecutor,
        filters: [SinkFilter?] = [],
        reportError: @escaping @Sendable (InternalError) -> Void
    ) {
        self.core = core
        self.drivers = drivers
        self.batchSize = batchSize
        self.stallTimeout = stallTimeout
        self.executor = executor
        self.reportError = reportError
        stages = StageRunner(
            core: core, filters: filters.isEmpty ? Array(repeating: nil, count: drivers.count) : filters,
            reportError: reportError)
        assembler.runsStages = stages.isActive
        assembler.tracksMasks = stages.usesMasks
        nextWindow = core.rateLimit.map { ContinuousClock.now.advanced(by: $0.options.interval) }
    }

    /// A log call stored its record: write out everything queued, and with `flush` flush every sink
    /// (the record was at the pipeline's flush level).
    package func deliver(flush: Bool) {
        // A sink logging while it writes: the delivery in progress on this thread takes the record.
        guard !PipelineThread.isCurrent else { return }
        collecting {
            deliverQueued()
            if flush {
                flushSinks(FlushBarrier(sinkNames: drivers.map(\.name)), reopen: false)
            }
        }
    }

    /// A flush or reopen: writes out everything queued, flushes (or reopens) the sinks written
    /// here, and queues the barrier behind the batches of the others.
    package func pass(_ barrier: FlushBarrier, reopen: Bool) {
        collecting {
            deliverQueued()
            // A flush shows what the stages held back so far (repeats, rate-limited calls) too.
            if stages.flush(into: &assembler) {
                deliverStaged()
            }
            flushSinks(barrier, reopen: reopen)
        }
    }

    /// The shutdown: writes out everything (including calls that were waiting for room), then
    /// closes the sinks written here and queues a close for the others.
    package func drainForShutdown() {
        collecting {
            while !core.isClosed {
                deliverQueued()
                if core.isDrained {
                    break
                }
                // A caller woken by the room just freed has not stored its record yet.
                sched_yield()
            }
            // What the stages still hold goes out last: a run of repeats, the last window's
            // rate-limit summaries.
            if !core.isClosed && stages.finish(into: &assembler, executor: executor) {
                deliverStaged()
            }
            core.closeIntake()
            core.discardStaged(&assembler)
            stages.abandon(executor: executor)
            stages.close()
            for driver in drivers {
                if driver.direct != nil {
                    driver.closeNow()
                } else {
                    driver.inbox.enqueueControl(.close)
                }
            }
            // Intake is closed, so no batch is routed from now on: let the sinks (and, through
            // them, the storage) go once the pipeline does.
            drivers = []
        }
        finished.fulfill(())
    }

    /// Runs `body` as the collector: under `lock`, with the calling thread counted as one of the
    /// pipeline's (so a stage's transformer, or a sink, that logs never waits for room or delivers
    /// from inside a delivery; its record is taken by the delivery in progress or the next one).
    private func collecting<T>(_ body: () -> T) -> T {
        lock.withLock {
            let previous = PipelineThread.swap(executor)
            defer { PipelineThread.restore(previous) }
            return body()
        }
    }

    /// Takes and delivers until nothing is queued, running the stages over each take (and first
    /// writing what they have due). The caller holds `lock`.
    private func deliverQueued() {
        var staged = sweepStages()
        while true {
            let taken = core.take(into: &assembler, cuts: &cuts, runs: &runs)
            if taken > 0 {
                stages.process(&assembler)
            }
            guard taken > 0 || staged else { return }
            staged = false
            guard deliverStaged() else { return }
        }
    }

    /// Batches what is staged and routes it; returns false (after discarding it) once intake was
    /// closed. The caller holds `lock`.
    @discardableResult
    private func deliverStaged() -> Bool {
        guard !core.isClosed else {
            core.discardStaged(&assembler)
            return false
        }
        while let batch = core.openBatch(from: &assembler, upTo: batchSize) {
            route(batch)
        }
        return true
    }

    /// Closes the rate limit's window when its interval passed, and stages what the stages have due
    /// now. Returns whether anything was staged. The caller holds `lock`.
    private func sweepStages() -> Bool {
        guard stages.isActive else { return false }
        if let rateLimit = core.rateLimit, let end = nextWindow, end <= .now {
            _ = rateLimit.closeWindow(now: LogTimestamp.now().nanosecondsSinceEpoch)
            nextWindow = max(end.advanced(by: rateLimit.options.interval), .now)
        }
        return stages.sweep(into: &assembler, now: LogTimestamp.now().nanosecondsSinceEpoch)
    }

    /// Hands a batch to every sink that accepts some of its records: written here, or put in the
    /// sink's inbox (waiting up to the stall timeout for room).
    private func route(_ batch: RecordBatch) {
        batch.share(with: drivers.count { batch.routed(toSink: $0.index, level: $0.level) > 0 })
        for driver in drivers {
            let routed = batch.routed(toSink: driver.index, level: driver.level)
            guard routed > 0 else { continue }
            if driver.direct != nil {
                driver.writeNow(batch)
                continue
            }
            var outcome = driver.inbox.offer(batch)
            if outcome == .full && !driver.inbox.isStalled {
                let deadline = MonotonicTime.nanoseconds(at: ContinuousClock.now.advanced(by: stallTimeout))
                while outcome == .full, driver.inbox.waitForRoomBlocking(untilMonotonicNanoseconds: deadline) {
                    outcome = driver.inbox.offer(batch)
                }
                if outcome == .full {
                    driver.inbox.markStalled()
                    reportError(
                        InternalError(
                            kind: .sinkStalled, sinkName: driver.name,
                            message:
                                "its inbox stayed full for \(stallTimeout); dropping \(routed) records and every batch it cannot take until it catches up"
                        ))
                }
            }
            switch outcome {
            case .accepted:
                continue
            case .abandoned:
                core.settle(batch: batch.id, sink: driver.index, outcome: .shutdown)
            case .full:
                core.settle(batch: batch.id, sink: driver.index, outcome: .stalled)
            }
            batch.release()
        }
    }

    /// Flushes (or reopens) the sinks written here and queues `barrier` for the others. The caller
    /// holds `lock`.
    private func flushSinks(_ barrier: FlushBarrier, reopen: Bool) {
        for driver in drivers {
            if driver.direct != nil {
                barrier.sinkFinished(driver.index, succeeded: reopen ? driver.reopenNow() : driver.flushNow())
            } else if driver.inbox.enqueueControl(reopen ? .reopen(barrier) : .flush(barrier)) != .accepted {
                barrier.sinkFinished(driver.index, succeeded: true)
            }
        }
    }
}
