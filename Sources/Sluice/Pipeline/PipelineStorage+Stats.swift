/// Stats: one consistent snapshot of every counter.
extension PipelineStorage {
    /// Callers waiting for room under `block` right now (for tests).
    package var waitingCallers: Int {
        lock.withLock { queue.waiting }
    }

    /// Extra per-sink facts that live outside the lock.
    package struct SinkExtras {
        var inboxDepth: Int
        var inboxStalled: Bool
        var bytes: Int?

        package init(inboxDepth: Int = 0, inboxStalled: Bool = false, bytes: Int? = nil) {
            self.inboxDepth = inboxDepth
            self.inboxStalled = inboxStalled
            self.bytes = bytes
        }
    }

    /// A consistent snapshot of every counter: taken with the queue's lock and every stripe's lock
    /// held, so each record is counted in exactly one place.
    package func snapshot(sinkExtras: [SinkExtras]) -> PipelineStats {
        let now = MonotonicTime.nanoseconds()
        let stallNanoseconds = Self.nanoseconds(stallTimeout)
        let uptime = createdAt.duration(to: .now)
        // Calls the stages left out at the call are logged and filtered at once: each count is read
        // once and added to both sides, so the snapshot balances whenever it is read.
        let sampled = samplingRules.sampledOut
        let rateLimited = rateLimit?.suppressed ?? 0
        return withEverythingLocked {
            var logged = 0
            var queued = 0
            var inTransit = 0
            var droppedOverflow = 0
            var droppedShutdown = queue.droppedShutdown
            for index in 0..<stripes.count {
                let stripe = stripes[index]
                logged += stripe.pointee.logged
                queued += stripe.pointee.queued
                inTransit += stripe.pointee.inTransit
                droppedOverflow += stripe.pointee.droppedOverflow
                droppedShutdown += stripe.pointee.droppedShutdown
            }
            let depth = queued + queue.staged
            queue.observeDepth(depth)
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
                    status: status,
                    filtered: index < stageLedger.sinkFiltered.count ? stageLedger.sinkFiltered[index] : 0
                )
            }
            return PipelineStats(
                state: state,
                logged: logged + sampled + rateLimited,
                written: ledger.written,
                dropped: DropCounts(
                    overflow: droppedOverflow + stageLedger.droppedOverflow,
                    sinkFailure: ledger.droppedSinkFailure,
                    shutdown: droppedShutdown + ledger.droppedShutdown + stageLedger.droppedShutdown
                ),
                filtered: FilterCounts(
                    sampled: sampled, rateLimited: rateLimited, deduplicated: stageLedger.deduplicated,
                    transformed: stageLedger.transformed, sinkFilter: stageLedger.sinkFilter,
                    backtrace: stageLedger.backtrace),
                generated: stageLedger.generated,
                redacted: stageLedger.redacted,
                // Calls still on their way in (waiting for room under `block`) and records a stage
                // holds back are in flight too.
                inFlight: depth + inTransit + ledger.outstanding + stageLedger.held,
                queueDepth: depth,
                queueCapacity: queue.capacity,
                queueHighWaterMark: queue.highWaterMark,
                batches: ledger.batches,
                flushes: ledger.flushes,
                meanLatency: latency.mean,
                maxLatency: latency.max,
                uptime: uptime,
                sinks: sinks,
                transformers: stageLedger.transformers
            )
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(clamping: attoseconds / 1_000_000_000)
    }
}
