/// The records of one batch as a sink receives them: encoded, in sequence order, at or above the
/// sink's level. Valid until the sink's call returns.
//
// @unchecked Sendable is safe: the records are immutable while a sink holds the view, and `owner`
// (the batch, or an array encoded from `LogRecord`s) keeps their memory alive until the view is
// gone; the pipeline recycles a batch only after every sink it went to returned.
package struct EncodedBatch: @unchecked Sendable {
    package let records: EncodedRecords
    private let owner: AnyObject

    package init(_ records: EncodedRecords, owner: AnyObject) {
        self.records = records
        self.owner = owner
    }

    package var count: Int { records.count }

    /// The records decoded into ``LogRecord``s (for a fallback sink or a user format).
    package func decoded(from start: Int = 0, atOrAbove level: LogLevel = .trace) -> [LogRecord] {
        records.decoded(from: start, atOrAbove: level)
    }
}

/// A sink that reads encoded records: Sluice's file and console sinks, which format batches without
/// decoding them. The pipeline calls ``write(_:)-(EncodedBatch)`` instead of ``LogSink/write(_:)``.
package protocol EncodedRecordSink: LogSink {
    /// Writes a batch; the same contract as ``LogSink/write(_:)``.
    func write(_ batch: EncodedBatch) async throws
}

/// A sink that brings its own thread (an actor whose executor is a ``ThreadExecutor``): the pipeline
/// runs the sink's driver there instead of on a thread of its own, so handing the sink a batch is a
/// hop within one thread rather than scheduling the actor as a separate job (which allocates).
package protocol SinkExecutorOwning: LogSink {
    var sinkExecutor: ThreadExecutor { get }
    /// Executors the sink uses for background work (compression, retention, timers); a pipeline
    /// that runs as tasks runs these as tasks too.
    var backgroundExecutors: [ThreadExecutor] { get }
    /// Starts background work held back until the pipeline chose where it runs (a file sink's
    /// start-up sweep of old archives).
    func startBackgroundWork()
}

extension SinkExecutorOwning {
    package var backgroundExecutors: [ThreadExecutor] { [] }
    package func startBackgroundWork() {}
}

/// A sink the calling thread can write directly (``ExecutionMode/synchronous``): the built-in file,
/// console and memory sinks. Each method does what its async counterpart does, on the calling
/// thread, while no other work of the sink runs (an actor uses its executor's
/// ``ThreadExecutor/runExclusively(_:)`` and `assumeIsolated`).
package protocol SynchronousSink: LogSink {
    func writeSynchronously(_ batch: EncodedBatch) throws
    func flushSynchronously() throws
    func reopenSynchronously() throws
    func closeSynchronously() throws
}

/// `LogRecord`s encoded into memory of their own, for calls that hand a sink records directly
/// (tests, tools, a fallback sink) rather than through a pipeline.
//
// @unchecked Sendable is safe: the memory is written once in `init`, only read afterwards, and freed
// in `deinit` when no view can reach it any more.
package final class EncodedRecordArray: @unchecked Sendable {
    private let memory: UnsafeMutableRawPointer
    private let pointers: UnsafeMutablePointer<UnsafeRawPointer>
    private let count: Int

    package init(_ records: [LogRecord]) {
        count = records.count
        var sizes: [Int] = []
        sizes.reserveCapacity(records.count)
        var total = 0
        for record in records {
            let size = RecordEncoder.size(
                label: record.label, message: record.message, inlineSource: true, file: record.source.file,
                function: record.source.function, call: record.callMetadata, logger: record.loggerMetadata,
                context: record.contextMetadata)
            sizes.append(size)
            total += size
        }
        memory = .allocate(byteCount: total + RecordLayout.readSlack, alignment: 8)
        pointers = .allocate(capacity: max(records.count, 1))
        var offset = 0
        for (index, record) in records.enumerated() {
            let header = RecordEncoder.Header(
                size: sizes[index], previous: 0, timestamp: record.timestamp.nanosecondsSinceEpoch,
                order: record.sequence, source: RecordLayout.inlineSource, chunk: 0, level: record.level,
                flags: RecordEncoder.flags(
                    inlineSource: true, call: record.callMetadata, logger: record.loggerMetadata,
                    context: record.contextMetadata))
            RecordEncoder.write(
                header, to: memory + offset, label: record.label, message: record.message, file: record.source.file,
                function: record.source.function, line: record.source.line, call: record.callMetadata,
                logger: record.loggerMetadata, context: record.contextMetadata)
            pointers[index] = UnsafeRawPointer(memory + offset)
            offset += sizes[index]
        }
    }

    deinit {
        memory.deallocate()
        pointers.deallocate()
    }

    /// The records as a batch.
    package var batch: EncodedBatch {
        EncodedBatch(EncodedRecords(UnsafeBufferPointer(start: pointers, count: count)), owner: self)
    }
}
