/// What sink drivers and the collector's routing report: how batches ended and what sinks are doing.
extension PipelineStorage {
    /// Records how a batch ended at one sink.
    package func settle(batch id: UInt64, sink index: Int, outcome: SinkOutcome) {
        let now = LogTimestamp.now().nanosecondsSinceEpoch
        lock.withLock {
            ledger.settle(batch: id, sink: index, outcome: outcome, now: now)
        }
    }

    package func sinkOperationStarted(_ index: Int) {
        let now = MonotonicTime.nanoseconds()
        lock.withLock { ledger.sinks[index].busySince = now }
    }

    /// Ends the operation in progress; `error` is its failure, if any. Writes are timed.
    package func sinkOperationFinished(_ index: Int, error: (any Error)?, isWrite: Bool) {
        let now = MonotonicTime.nanoseconds()
        // Described before taking the lock: an error's description is the sink's code.
        let description = error.map { String(describing: $0) }
        lock.withLock {
            var sink = ledger.sinks[index]
            if isWrite, let since = sink.busySince, now >= since {
                sink.writeNanoseconds &+= now - since
                sink.timedWrites += 1
            }
            sink.busySince = nil
            if let description {
                sink.errors += 1
                sink.consecutiveFailures += 1
                sink.lastError = description
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
        let description = error.map { String(describing: $0) }
        lock.withLock {
            if let description {
                ledger.sinks[index].errors += 1
                ledger.sinks[index].consecutiveFailures += 1
                ledger.sinks[index].lastError = description
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
}
