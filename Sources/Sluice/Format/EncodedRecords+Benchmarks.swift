/// Records encoded once, as a pipeline holds them, for measuring formats on their own (the
/// benchmarks' scenario F). Not part of the supported API.
@_spi(Benchmarks)
public struct EncodedRecordBatch: Sendable {
    private let array: EncodedRecordArray

    /// Encodes `records` (their source inline, as a record from a non-literal call site travels).
    public init(_ records: [LogRecord]) {
        array = EncodedRecordArray(records)
    }

    /// Formats every record with `format`, in chunks of `byteLimit` bytes; calls `chunk` after each
    /// chunk (before `output` is cleared). Returns the bytes formatted.
    public func format(
        with format: some LogFormat,
        into output: inout LogOutput,
        byteLimit: Int = 64 * 1024,
        chunk: (borrowing LogOutput) -> Void = { _ in }
    ) -> Int {
        let encoded = format.encoded
        let records = array.batch.records
        var bytes = 0
        var next = 0
        while next < records.count {
            output.removeAll()
            next = encoded.write(records, from: next, to: &output, byteLimit: byteLimit)
            bytes += output.count
            chunk(output)
        }
        return bytes
    }

    /// The bytes a log call with these fields takes in a pipeline's queue (its source interned).
    public static func queuedSize(label: String, message: String, metadata: LogMetadata) -> Int {
        RecordEncoder.size(
            label: label, message: message, inlineSource: false, file: "", function: "", call: metadata,
            logger: LogMetadata(), context: LogMetadata())
    }
}

/// A pipeline's storage without its threads: log calls go in on the calling thread and are taken
/// out in batches on the same thread, as the collector would, so a profiler that cannot follow the
/// pipeline's threads (callgrind) can count what a log call and a take cost. Not part of the
/// supported API.
@_spi(Benchmarks)
public final class SingleThreadedPipeline {
    private let storage: PipelineStorage
    private let batchSize: Int
    private var assembler = BatchAssembler()
    private var cuts = StripeCuts()
    private var runs: [ChunkRun] = []
    private let stages: StageRunner

    /// A storage with one sink at `.trace`, logging from `minimumLevel` up and running `stages`
    /// (none by default) where the collector would.
    public init(
        batchSize: Int = 512, capacity: Int = 65_536, minimumLevel: LogLevel = .trace, stages: StageOptions = .none
    ) {
        let events = CollectorEvents()
        events.finish()
        self.batchSize = batchSize
        storage = PipelineStorage(
            queue: QueueOptions(capacity: capacity, overflow: .block), batchSize: batchSize,
            levels: LevelPolicy(minimum: minimumLevel, overrides: [:]), sinks: [("benchmark", .trace)],
            stallTimeout: .seconds(5), events: events, stages: stages)
        self.stages = StageRunner(core: storage, filters: [nil], reportError: { _ in })
        assembler.runsStages = self.stages.isActive
        assembler.tracksMasks = self.stages.usesMasks
    }

    /// What was filtered and generated so far, and whether the accounting balances.
    public var stats: PipelineStats {
        storage.snapshot(sinkExtras: [PipelineStorage.SinkExtras()])
    }

    /// A logger on this storage.
    public func logger(label: String) -> SluiceLogger {
        SluiceLogger(label: label, metadata: [:], core: storage)
    }

    /// Takes everything queued and hands it out in batches, formatting each batch with `format`
    /// into `output` when given; returns the records taken.
    @discardableResult
    public func drain(formattingWith format: (any LogFormat)? = nil, into output: inout LogOutput) -> Int {
        storage.take(into: &assembler, cuts: &cuts, runs: &runs)
        stages.process(&assembler)
        var taken = 0
        let encoded = format?.encoded
        while let batch = storage.openBatch(from: &assembler, upTo: batchSize) {
            taken += batch.count
            if let encoded {
                var next = 0
                while next < batch.count {
                    output.removeAll()
                    next = encoded.write(batch.records, from: next, to: &output, byteLimit: 64 * 1024)
                }
            }
            storage.settle(batch: batch.id, sink: 0, outcome: .written)
            batch.share(with: 1)
            batch.release()
        }
        return taken
    }
}
