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
    private let core: PipelineCore
    private let reportError: @Sendable (InternalError) -> Void

    package init(
        index: Int,
        name: String,
        sink: any LogSink,
        inboxCapacity: Int,
        core: PipelineCore,
        reportError: @escaping @Sendable (InternalError) -> Void
    ) {
        self.index = index
        self.name = name
        self.level = sink.level
        self.sink = sink
        self.inbox = SinkInbox(capacity: inboxCapacity, sinkIndex: index)
        self.executor = ThreadExecutor(name: "sluice-sink-\(index)", pipelineID: core.id)
        self.core = core
        self.reportError = reportError
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
            case .batch(let id, let records):
                core.sinkOperationStarted(index)
                if let settling = sink as? any SettlingSink {
                    await accept(records, batch: id, into: settling)
                    continue
                }
                do {
                    try await sink.write(records)
                    core.sinkOperationFinished(index, error: nil, isWrite: true)
                    core.settle(batch: id, sink: index, outcome: .written)
                } catch {
                    core.sinkOperationFinished(index, error: error, isWrite: true)
                    core.settle(batch: id, sink: index, outcome: .failed)
                    report(.writeFailed, "\(records.count) records dropped: \(error)", error)
                }
                core.retire(records)
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
