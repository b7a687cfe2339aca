/// Runs one sink: takes batches and markers from its inbox, in order, and calls the sink on the
/// sink's own thread.
///
/// The driver's task prefers the sink's ``ThreadExecutor``, so a sink that is an actor without a
/// custom executor, or any non-isolated sink, runs on that thread: a blocking `write(2)` occupies it
/// and nothing else, and a hung sink stalls only itself.
package final class SinkDriver: Sendable {
    package let index: Int
    package let name: String
    package let level: LogLevel
    package let sink: any LogSink
    package let inbox: SinkInbox
    package let executor: ThreadExecutor
    /// Fulfilled once the sink was flushed and closed at shutdown.
    package let finished = Promise<Void>()
    private let core: PipelineStorage
    private let reportError: @Sendable (InternalError) -> Void
    private let encodedSink: (any EncodedRecordSink)?
    /// Pointers to the records of a batch at or above the sink's level, when some are below it. Used
    /// only by the driver's loop, one batch at a time.
    private let filtered = PointerBuffer()

    package init(
        index: Int,
        name: String,
        sink: any LogSink,
        inboxCapacity: Int,
        core: PipelineStorage,
        reportError: @escaping @Sendable (InternalError) -> Void
    ) {
        self.index = index
        self.name = name
        self.level = sink.level
        self.sink = sink
        self.inbox = SinkInbox(capacity: inboxCapacity, sinkIndex: index)
        // A sink with a thread of its own keeps it (its thread then counts as belonging to no single
        // pipeline, so it never waits under `block`: see PipelineThread).
        self.executor =
            (sink as? any SinkExecutorOwning)?.sinkExecutor
            ?? ThreadExecutor(name: "sluice-sink-\(index)", pipelineID: core.id)
        self.core = core
        self.reportError = reportError
        encodedSink = sink as? any EncodedRecordSink
        if let reporting = sink as? any ProblemReportingSink {
            reporting.reportProblems { kind, message in
                reportError(InternalError(kind: kind, sinkName: name, message: message))
            }
        }
    }

    /// Starts the driver's loop on the sink's thread.
    package func start() {
        Task(name: "sluice sink \(name)", executorPreference: executor) {
            await self.run()
        }
    }

    private func run() async {
        while true {
            switch await inbox.next() {
            case .batch(let batch):
                await write(batch)
            case .flush(let barrier):
                if sink is any SettlingSink {
                    // A network sink waits for its receiver in the background and keeps accepting
                    // batches meanwhile, so its own bounded buffer (not this inbox) absorbs an outage.
                    Task(name: "sluice flush \(name)", executorPreference: executor) {
                        barrier.sinkFinished(self.index, succeeded: await self.flushSettlingSink())
                    }
                    continue
                }
                let succeeded = await flushSink()
                barrier.sinkFinished(index, succeeded: succeeded)
            case .reopen(let barrier):
                core.sinkOperationStarted(index)
                do {
                    try await sink.reopen()
                    core.sinkOperationFinished(index, error: nil, isWrite: false)
                    barrier.sinkFinished(index, succeeded: true)
                } catch {
                    core.sinkOperationFinished(index, error: error, isWrite: false)
                    report(.reopenFailed, "\(error)", error)
                    barrier.sinkFinished(index, succeeded: false)
                }
            case .close:
                _ = await flushSink()
                core.sinkOperationStarted(index)
                do {
                    try await sink.close()
                    core.sinkOperationFinished(index, error: nil, isWrite: false)
                } catch {
                    core.sinkOperationFinished(index, error: error, isWrite: false)
                    report(.closeFailed, "\(error)", error)
                }
                core.sinkClosed(index)
                finished.fulfill(())
                executor.stop()
                return
            }
        }
    }

    /// Writes one batch (the records at or above the sink's level), settles it in the ledger and
    /// releases it.
    private func write(_ batch: RecordBatch) async {
        defer { batch.release() }
        let id = batch.id
        let records = recordsForSink(batch)
        core.sinkOperationStarted(index)
        if let settling = sink as? any SettlingSink {
            await accept(records.decoded(), batch: id, into: settling)
            return
        }
        do {
            if let encodedSink {
                try await encodedSink.write(EncodedBatch(records, owner: batch))
            } else {
                try await sink.write(records.decoded())
            }
            core.sinkOperationFinished(index, error: nil, isWrite: true)
            core.settle(batch: id, sink: index, outcome: .written)
        } catch {
            core.sinkOperationFinished(index, error: error, isWrite: true)
            core.settle(batch: id, sink: index, outcome: .failed)
            report(.writeFailed, "\(records.count) records dropped: \(error)", error)
        }
    }

    /// The batch's records at or above the sink's level (or, when the stages route by mask, those
    /// whose mask names this sink).
    private func recordsForSink(_ batch: RecordBatch) -> EncodedRecords {
        let all = batch.records
        guard batch.routed(toSink: index, level: level) != all.count else { return all }
        if batch.usesMasks {
            return filtered.fill(from: all, in: batch, sink: index)
        }
        return filtered.fill(from: all, atOrAbove: level)
    }

    /// Hands a batch to a sink that settles it later (a network sink with its own retry buffer).
    private func accept(_ records: [LogRecord], batch id: UInt64, into sink: any SettlingSink) async {
        let count = records.count
        let settlement = BatchSettlement(
            finish: { [core, index] error in
                core.sinkDeliveryFinished(index, error: error)
                core.settle(batch: id, sink: index, outcome: error == nil ? .written : .failed)
                if let error {
                    self.report(.writeFailed, "\(count) records dropped: \(error)", error)
                }
            },
            report: reportError
        )
        do {
            try await sink.accept(records, settlement: settlement)
            // Accepting proves nothing about delivery, so it neither times a write nor clears failures.
            core.sinkOperationFinished(index, error: nil, isWrite: false)
        } catch {
            core.sinkOperationFinished(index, error: error, isWrite: false)
            core.settle(batch: id, sink: index, outcome: .failed)
            report(.writeFailed, "\(count) records dropped: \(error)", error)
        }
    }

    /// Flushes a sink that settles batches later: waits until what it accepted so far is settled.
    /// Not timed as an operation, so a long outage shows as failures, not as a stalled sink.
    private func flushSettlingSink() async -> Bool {
        do {
            try await sink.flush()
            core.sinkFlushed(index)
            return true
        } catch {
            report(.flushFailed, "\(error)", error)
            return false
        }
    }

    private func flushSink() async -> Bool {
        core.sinkOperationStarted(index)
        do {
            try await sink.flush()
            core.sinkOperationFinished(index, error: nil, isWrite: false)
            core.sinkFlushed(index)
            return true
        } catch {
            core.sinkOperationFinished(index, error: error, isWrite: false)
            report(.flushFailed, "\(error)", error)
            return false
        }
    }

    private func report(_ kind: InternalError.Kind, _ message: String, _ error: (any Error)?) {
        reportError(InternalError(kind: kind, sinkName: name, message: message, underlying: error))
    }
}

/// A reusable array of record pointers, for the part of a batch one sink takes.
//
// @unchecked Sendable is safe: only the sink driver's loop uses it, one batch at a time (the loop is
// a single task, so its uses never overlap); the memory is freed in `deinit`.
package final class PointerBuffer: @unchecked Sendable {
    private var base: UnsafeMutablePointer<UnsafeRawPointer>?
    private var capacity = 0

    package init() {}

    deinit {
        base?.deallocate()
    }

    /// Fills the buffer with the records of `records` at or above `level` and returns them.
    package func fill(from records: EncodedRecords, atOrAbove level: LogLevel) -> EncodedRecords {
        if capacity < records.count {
            base?.deallocate()
            capacity = max(records.count, 64)
            base = .allocate(capacity: capacity)
        }
        guard let base else { return records }
        var count = 0
        for index in 0..<records.count where records[index].level >= level {
            base[count] = records.pointers[index]
            count += 1
        }
        return EncodedRecords(UnsafeBufferPointer(start: base, count: count))
    }

    /// Fills the buffer with the records of `batch` whose mask names `sink`, and returns them.
    package func fill(from records: EncodedRecords, in batch: RecordBatch, sink: Int) -> EncodedRecords {
        if capacity < records.count {
            base?.deallocate()
            capacity = max(records.count, 64)
            base = .allocate(capacity: capacity)
        }
        guard let base else { return records }
        let bit: UInt64 = 1 << UInt64(sink)
        var count = 0
        for index in 0..<records.count where batch.mask(index) & bit != 0 {
            base[count] = records.pointers[index]
            count += 1
        }
        return EncodedRecords(UnsafeBufferPointer(start: base, count: count))
    }

    /// Fills the buffer with `records` ordered by group (`groupOf[i]` is record `i`'s group, below
    /// `groups`), keeping their order within each group, and returns each group's records.
    package func group(_ records: EncodedRecords, by groupOf: [Int], groups: Int) -> [EncodedRecords] {
        if capacity < records.count {
            base?.deallocate()
            capacity = max(records.count, 64)
            base = .allocate(capacity: capacity)
        }
        guard let base, groups > 1 else { return groups == 1 ? [records] : [] }
        var starts = [Int](repeating: 0, count: groups + 1)
        for group in groupOf {
            starts[group + 1] += 1
        }
        for group in 0..<groups {
            starts[group + 1] += starts[group]
        }
        var next = starts
        for index in 0..<records.count {
            base[next[groupOf[index]]] = records.pointers[index]
            next[groupOf[index]] += 1
        }
        return (0..<groups).map { group in
            EncodedRecords(UnsafeBufferPointer(start: base + starts[group], count: starts[group + 1] - starts[group]))
        }
    }
}
