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
//
// @unchecked Sendable is safe: the staging state (`assembler`, `cuts`, `runs`) is only touched with
// `lock` held; `core` is unowned because the storage owns this object and outlives every call.
package final class DirectDelivery: @unchecked Sendable {
    private let lock = Lock()
    private unowned let core: PipelineStorage
    private let drivers: [SinkDriver]
    private let batchSize: Int
    private let stallTimeout: Duration
    private let reportError: @Sendable (InternalError) -> Void
    private var assembler = BatchAssembler()
    private var cuts = StripeCuts()
    private var runs: [ChunkRun] = []
    /// Fulfilled once the shutdown drained the queue and closed (or queued a close for) every sink.
    package let finished = Promise<Void>()

    package init(
        core: PipelineStorage,
        drivers: [SinkDriver],
        batchSize: Int,
        stallTimeout: Duration,
        reportError: @escaping @Sendable (InternalError) -> Void
    ) {
        self.core = core
        self.drivers = drivers
        self.batchSize = batchSize
        self.stallTimeout = stallTimeout
        self.reportError = reportError
    }

    /// A log call stored its record: write out everything queued, and with `flush` flush every sink
    /// (the record was at the pipeline's flush level).
    package func deliver(flush: Bool) {
        // A sink logging while it writes: the delivery in progress on this thread takes the record.
        guard !PipelineThread.isCurrent else { return }
        lock.withLock {
            deliverQueued()
            if flush {
                flushSinks(FlushBarrier(sinkNames: drivers.map(\.name)), reopen: false)
            }
        }
    }

    /// A flush or reopen: writes out everything queued, flushes (or reopens) the sinks written
    /// here, and queues the barrier behind the batches of the others.
    package func pass(_ barrier: FlushBarrier, reopen: Bool) {
        lock.withLock {
            deliverQueued()
            flushSinks(barrier, reopen: reopen)
        }
    }

    /// The shutdown: writes out everything (including calls that were waiting for room), then
    /// closes the sinks written here and queues a close for the others.
    package func drainForShutdown() {
        lock.withLock {
            while !core.isClosed {
                deliverQueued()
                if core.isDrained {
                    break
                }
                // A caller woken by the room just freed has not stored its record yet.
                sched_yield()
            }
            core.closeIntake()
            core.discardStaged(&assembler)
            for driver in drivers {
                if driver.direct != nil {
                    driver.closeNow()
                } else {
                    driver.inbox.enqueueControl(.close)
                }
            }
        }
        finished.fulfill(())
    }

    /// Takes and delivers until nothing is queued. The caller holds `lock`.
    private func deliverQueued() {
        while core.take(into: &assembler, cuts: &cuts, runs: &runs) > 0 {
            guard !core.isClosed else {
                core.discardStaged(&assembler)
                return
            }
            while let batch = core.openBatch(from: &assembler, upTo: batchSize) {
                route(batch)
            }
        }
    }

    /// Hands a batch to every sink that accepts some of its records: written here, or put in the
    /// sink's inbox (waiting up to the stall timeout for room).
    private func route(_ batch: RecordBatch) {
        batch.share(with: drivers.count { batch.count(atOrAbove: $0.level) > 0 })
        for driver in drivers {
            let routed = batch.count(atOrAbove: driver.level)
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
