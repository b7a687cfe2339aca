import Foundation
import Logging
@_spi(Benchmarks) import Sluice
import SluicePostgres
import SluiceSQLite

/// What one child process measures.
struct ChildConfig: Codable {
    var system: String  // sluice, limit, naive, swiftlog
    var scenario: String  // S1, S2, S3, S4
    var records: Int  // per producer
    var producers: Int
    var policy: String  // block, dropOldest, dropNewest
    var format: String  // text, json
    var sink: String  // file, null, sqlite, postgres
    var logFile: String  // the file, the SQLite database or the PostgreSQL table
    var timed: Bool
    var capacity: Int? = nil
    var maxBytes: Int? = nil
    /// S5: records per second for all producers together, and how long to run.
    var rate: Double? = nil
    var seconds: Double? = nil
    var postgres: String? = nil  // a libpq connection string, for the postgres sink
    var mode: String? = nil  // dedicated (nil), synchronous, cooperative
    /// The processing stages: nil for the pipeline's defaults (the default redaction), "none", or
    /// "s6" (the default redaction, a rate limit and a sampler that remove nothing from the workload).
    var stages: String? = nil
}

/// What one child process reports.
struct RunResult: Codable {
    var system: String
    var scenario: String
    var policy: String
    var records: Int
    var seconds: Double = 0
    var written: Int = 0
    var dropped: Int = 0
    var peakResidentBytes: Int = 0
    var p50: Double?
    var p99: Double?
    var p999: Double?
    var clockCost: Double?
    var callerAllocationsPerRecord: Double?
    /// Sluice's own allocations per enabled call on the caller's thread, on a warm pipeline.
    var loggerAllocationsPerRecord: Double?
    /// The same calls' allocations on a new pipeline (its first 100,000 calls), and how many of them
    /// were 64 KiB or more (queue chunks).
    var coldLoggerAllocations: UInt64?
    var coldLoggerChunkAllocations: UInt64?
    /// Queue chunks the warm round took (a backlog deeper than the first round's).
    var warmLoggerChunkAllocations: UInt64?
    /// Sluice's own allocations per enabled call on the caller's thread, on a warm pipeline in
    /// cooperative mode (the calls wake the pipeline's drainer tasks).
    var cooperativeLoggerAllocationsPerRecord: Double?
    var disabledNanoseconds: Double?
    /// S3: a call over its call site's rate limit, and one a sampler leaves out, through the same
    /// non-inlined wrapper as the disabled call.
    var rateLimitedNanoseconds: Double?
    var sampledOutNanoseconds: Double?
    var suppressedAllocations: UInt64?
    var disabledAllocations: UInt64?
    var emptyCallNanoseconds: Double?
    var flushIdle: [Double]?  // p50, p99 in microseconds
    var flushQueued: [Double]?
    var verification: String?
    /// CPU nanoseconds per record, by thread group (sink, collector, producers, main).
    var cpuPerRecord: [String: Double]?
    /// Records per batch the collector handed to the sinks, on average.
    var meanBatchRecords: Double?
    /// F: nanoseconds per record, by format (and for formatting plus writing through `FileSink`).
    var formatNanoseconds: [String: Double]?
    /// Allocations and frees per record on the pipeline's own threads ("collector allocations",
    /// "sink frees", …), over the middle of the run (from 20% to 80% of the records logged).
    var threadAllocationsPerRecord: [String: Double]?
    /// Bytes one workload record takes in the queue.
    var queuedBytesPerRecord: Int?
    /// S5: the rate each producer was paced at, records per second.
    var pacedRate: Double?

    var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
}

/// Discards records after formatting them: the pipeline's cost without I/O.
actor NullSink: LogSink {
    nonisolated let name = "null"
    nonisolated let level = LogLevel.trace
    private let format: any LogFormat
    private var output = LogOutput()

    init(format: any LogFormat) {
        self.format = format
    }

    func write(_ records: [LogRecord]) async {
        var next = 0
        while next < records.count {
            output.removeAll()
            next = format.write(records, from: next, to: &output, byteLimit: 64 * 1024)
        }
    }
}

func makeFormat(_ name: String) -> any LogFormat {
    name == "json" ? JSONFormat() : TextFormat()
}

func makeMode(_ name: String?) -> ExecutionMode {
    switch name {
    case "synchronous": .synchronous
    case "cooperative": .cooperative
    default: .dedicatedThreads
    }
}

/// The stages a run configures (`ChildConfig.stages`).
func makeStages(_ name: String?) -> StageOptions {
    switch name {
    case "none": .none
    case "s6":
        // Every stage that decides at the call runs for every workload record, and keeps it: the
        // sampler keeps 1 in 1 and the limit (per call site) is far above what one producer logs.
        StageOptions(
            redaction: .default,
            sampling: [SamplingRule(label: Workload.label, keep: .oneIn(1))],
            rateLimit: .perCallSite(100_000_000, per: .seconds(1)))
    default: StageOptions()
    }
}

func makePolicy(_ name: String) -> OverflowPolicy {
    switch name {
    case "dropOldest": .dropOldest
    case "dropNewest": .dropNewest
    default: .block
    }
}

func openLogFile(_ path: String) -> Int32 {
    unlink(path)
    let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    precondition(descriptor >= 0, "cannot open \(path): \(String(cString: strerror(errno)))")
    return descriptor
}

func writeAll(_ descriptor: Int32, _ output: borrowing LogOutput) {
    output.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            precondition(n > 0 || errno == EINTR, "write failed: \(String(cString: strerror(errno)))")
            offset += max(n, 0)
        }
    }
}

// MARK: Sluice

@inline(never)
func produce(
    _ log: SluiceLogger, producer: Int, count: Int, histogram: inout LatencyHistogram?,
    snapshots: (AllocationSnapshot, AllocationSnapshot)? = nil
) -> UInt64 {
    let before = threadAllocations()
    let first = snapshots == nil ? -1 : count / 5
    let second = snapshots == nil ? -1 : count * 4 / 5
    if histogram != nil {
        var local = LatencyHistogram()
        for index in 0..<count {
            let start = monotonicNanoseconds()
            log.info(
                "request handled",
                metadata: [
                    "request_id": .string(Workload.requestID(producer: producer, index: index)),
                    "status": 200,
                    "path": "/api/v1/items",
                ]
            )
            local.record(monotonicNanoseconds() - start)
        }
        histogram = local
    } else {
        for index in 0..<count {
            if index == first {
                snapshots?.0.take()
            } else if index == second {
                snapshots?.1.take()
            }
            log.info(
                "request handled",
                metadata: [
                    "request_id": .string(Workload.requestID(producer: producer, index: index)),
                    "status": 200,
                    "path": "/api/v1/items",
                ]
            )
        }
    }
    return threadAllocations() - before
}

func runSluice(_ config: ChildConfig) async throws -> RunResult {
    var result = RunResult(
        system: config.system, scenario: config.scenario, policy: config.policy,
        records: config.records * config.producers)
    let format = makeFormat(config.format)
    unlink(config.logFile)
    let sink: any LogSink
    switch config.sink {
    case "null": sink = NullSink(format: format)
    case "sqlite": sink = try SQLiteSink(path: config.logFile)
    case "postgres":
        sink = try await PostgresSink(connection: .connectionString(config.postgres ?? ""), table: config.logFile)
    default: sink = try FileSink(path: config.logFile, format: format)
    }
    let pipeline = try LogPipeline(
        sinks: [sink],
        level: .info,
        levelEnvironmentVariable: nil,
        queue: QueueOptions(
            capacity: config.capacity ?? QueueOptions().capacity, maxBytes: config.maxBytes ?? QueueOptions().maxBytes,
            overflow: makePolicy(config.policy)),
        mode: makeMode(config.mode),
        stages: makeStages(config.stages)
    )
    let log = pipeline.logger(label: Workload.label)
    let timed = config.timed
    let sampler = ThreadCPUSampler()
    sampler.start()
    let snapshots = config.producers == 1 && !timed ? (AllocationSnapshot(), AllocationSnapshot()) : nil
    let start = monotonicNanoseconds()
    let outcomes = await withTaskGroup(of: (LatencyHistogram?, UInt64).self) { group in
        for producer in 0..<config.producers {
            group.addTask {
                var histogram: LatencyHistogram? = timed ? LatencyHistogram() : nil
                let allocations = produce(
                    log, producer: producer, count: config.records, histogram: &histogram, snapshots: snapshots)
                return (histogram, allocations)
            }
        }
        var outcomes: [(LatencyHistogram?, UInt64)] = []
        for await outcome in group {
            outcomes.append(outcome)
        }
        return outcomes
    }
    let report = await pipeline.shutdown(timeout: .seconds(600))
    result.seconds = Double(monotonicNanoseconds() - start) / 1e9
    result.peakResidentBytes = peakResidentBytes()
    result.cpuPerRecord = sampler.stop().mapValues { Double($0) / Double(result.records) }
    if let snapshots {
        result.threadAllocationsPerRecord = sampler.allocationsPerRecord(
            from: snapshots.0, to: snapshots.1, records: config.records * 3 / 5
        ).filter { $0.key.hasPrefix("collector") || $0.key.hasPrefix("sink") }
    }
    result.queuedBytesPerRecord = EncodedRecordBatch.queuedSize(
        label: Workload.label, message: Workload.message,
        metadata: [
            "request_id": .string(Workload.requestID(producer: 0, index: 0)), "status": 200, "path": "/api/v1/items",
        ])
    result.written = report.written
    result.dropped = report.dropped.total
    result.meanBatchRecords = Double(report.stats.logged - report.dropped.total) / Double(max(report.stats.batches, 1))
    result.callerAllocationsPerRecord = Double(outcomes.map(\.1).reduce(0, +)) / Double(result.records)
    if timed {
        var merged = LatencyHistogram()
        for case (let histogram?, _) in outcomes {
            merged.merge(histogram)
        }
        result.p50 = merged.percentile(0.5)
        result.p99 = merged.percentile(0.99)
        result.p999 = merged.percentile(0.999)
        result.clockCost = clockCost()
    }
    return result
}

// MARK: Baselines

/// The no-pipeline limit: format with Sluice's formatter into a 64 KiB buffer and `write(2)` it, on
/// one thread, no queue.
func runLimit(_ config: ChildConfig) -> RunResult {
    var result = RunResult(
        system: config.system, scenario: config.scenario, policy: "-", records: config.records * config.producers)
    let format = makeFormat(config.format)
    let descriptor = openLogFile(config.logFile)
    var output = LogOutput()
    let start = monotonicNanoseconds()
    for producer in 0..<config.producers {
        for index in 0..<config.records {
            let record = LogRecord(
                level: .info,
                label: Workload.label,
                message: Workload.message,
                metadata: [
                    "request_id": .string(Workload.requestID(producer: producer, index: index)),
                    "status": 200,
                    "path": "/api/v1/items",
                ]
            )
            format.write(record, to: &output)
            if output.count >= 64 * 1024 {
                writeAll(descriptor, output)
                output.removeAll()
            }
        }
    }
    writeAll(descriptor, output)
    close(descriptor)
    result.seconds = Double(monotonicNanoseconds() - start) / 1e9
    result.written = result.records
    result.peakResidentBytes = peakResidentBytes()
    return result
}

/// A naive synchronous logger: format each record and `write(2)` it at once, from every producer.
func runNaive(_ config: ChildConfig) async -> RunResult {
    var result = RunResult(
        system: config.system, scenario: config.scenario, policy: "-", records: config.records * config.producers)
    let descriptor = openLogFile(config.logFile)
    let formatName = config.format
    let start = monotonicNanoseconds()
    await withTaskGroup(of: Void.self) { group in
        for producer in 0..<config.producers {
            group.addTask {
                let format = makeFormat(formatName)
                var output = LogOutput(capacity: 512)
                for index in 0..<config.records {
                    output.removeAll()
                    let record = LogRecord(
                        level: .info,
                        label: Workload.label,
                        message: Workload.message,
                        metadata: [
                            "request_id": .string(Workload.requestID(producer: producer, index: index)),
                            "status": 200,
                            "path": "/api/v1/items",
                        ]
                    )
                    format.write(record, to: &output)
                    writeAll(descriptor, output)
                }
            }
        }
    }
    close(descriptor)
    result.seconds = Double(monotonicNanoseconds() - start) / 1e9
    result.written = result.records
    result.peakResidentBytes = peakResidentBytes()
    return result
}

/// swift-log's `StreamLogHandler` writing to standard output, which is the log file (a `FILE*`).
func runSwiftLog(_ config: ChildConfig) async -> RunResult {
    var result = RunResult(
        system: config.system, scenario: config.scenario, policy: "-", records: config.records * config.producers)
    let descriptor = openLogFile(config.logFile)
    fflush(nil)
    dup2(descriptor, 1)
    close(descriptor)
    let logger = Logging.Logger(label: Workload.label) {
        StreamLogHandler.standardOutput(label: $0, metadataProvider: nil)
    }
    let timed = config.timed
    let start = monotonicNanoseconds()
    let histograms = await withTaskGroup(of: LatencyHistogram?.self) { group in
        for producer in 0..<config.producers {
            group.addTask {
                var histogram = LatencyHistogram()
                for index in 0..<config.records {
                    let begin = timed ? monotonicNanoseconds() : 0
                    logger.info(
                        "request handled",
                        metadata: [
                            "request_id": "\(Workload.requestID(producer: producer, index: index))",
                            "status": "\(Workload.status)",
                            "path": "/api/v1/items",
                        ]
                    )
                    if timed {
                        histogram.record(monotonicNanoseconds() - begin)
                    }
                }
                return timed ? histogram : nil
            }
        }
        var all: [LatencyHistogram?] = []
        for await histogram in group {
            all.append(histogram)
        }
        return all
    }
    fflush(nil)
    result.seconds = Double(monotonicNanoseconds() - start) / 1e9
    result.written = result.records
    result.peakResidentBytes = peakResidentBytes()
    if timed {
        var merged = LatencyHistogram()
        for case let histogram? in histograms {
            merged.merge(histogram)
        }
        result.p50 = merged.percentile(0.5)
        result.p99 = merged.percentile(0.99)
        result.p999 = merged.percentile(0.999)
        result.clockCost = clockCost()
    }
    return result
}

// MARK: S5

/// One S5 producer: logs its share of `rate` in a burst every millisecond for `seconds`, timing every
/// batch of eight calls (two clock reads for eight calls, so the clock's own cost, about 25 ns, is
/// an eighth of what it is when each call is timed alone).
func paced(
    _ log: SluiceLogger, producer: Int, rate: Double, seconds: Double, histogram: inout LatencyHistogram
) -> Int {
    let start = monotonicNanoseconds()
    let end = start + UInt64(seconds * 1e9)
    var logged = 0
    var now = start
    while now < end {
        let due = Int(Double(now - start) * rate / 1e9)
        while logged + 8 <= due {
            let batchStart = monotonicNanoseconds()
            for offset in 0..<8 {
                log.info(
                    "request handled",
                    metadata: [
                        "request_id": .string(Workload.requestID(producer: producer, index: logged + offset)),
                        "status": 200,
                        "path": "/api/v1/items",
                    ]
                )
            }
            histogram.record((monotonicNanoseconds() - batchStart) / 8)
            logged += 8
        }
        // Sleep until the next millisecond's share is due.
        let next = start + (UInt64(now - start) / 1_000_000 + 1) * 1_000_000
        now = monotonicNanoseconds()
        if next > now {
            var pause = timespec(tv_sec: 0, tv_nsec: Int(next - now))
            nanosleep(&pause, nil)
        }
        now = monotonicNanoseconds()
    }
    return logged
}

/// What the S5 producers measured.
final class SteadyOutcomes: @unchecked Sendable {
    // @unchecked Sendable is safe: every property is only touched with `lock` held.
    private let lock = NSLock()
    private var histogram = LatencyHistogram()
    private var total = 0

    func add(_ histogram: LatencyHistogram, logged: Int) {
        lock.withLock {
            self.histogram.merge(histogram)
            total += logged
        }
    }

    var merged: (LatencyHistogram, Int) {
        lock.withLock { (histogram, total) }
    }
}

/// S5: a steady load, `producers` threads at `rate` records per second in total for `seconds`: what a
/// call costs when the pipeline keeps up.
func runSteady(_ config: ChildConfig) async throws -> RunResult {
    let rate = config.rate ?? 1e6
    let seconds = config.seconds ?? 5
    var result = RunResult(system: config.system, scenario: "S5", policy: config.policy, records: 0)
    unlink(config.logFile)
    let sink = try FileSink(path: config.logFile, format: makeFormat(config.format))
    let pipeline = try LogPipeline(
        sinks: [sink], level: .info, levelEnvironmentVariable: nil,
        queue: QueueOptions(overflow: makePolicy(config.policy)), mode: makeMode(config.mode))
    let log = pipeline.logger(label: Workload.label)
    let perProducer = rate / Double(config.producers)
    let outcomes = SteadyOutcomes()
    let group = DispatchGroup()
    for producer in 0..<config.producers {
        group.enter()
        let thread = Thread {
            var histogram = LatencyHistogram()
            let logged = paced(log, producer: producer, rate: perProducer, seconds: seconds, histogram: &histogram)
            outcomes.add(histogram, logged: logged)
            group.leave()
        }
        thread.start()
    }
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            group.wait()
            continuation.resume()
        }
    }
    let report = await pipeline.shutdown(timeout: .seconds(600))
    let (merged, total) = outcomes.merged
    result.records = total
    result.written = report.written
    result.dropped = report.dropped.total
    result.seconds = seconds
    result.p50 = merged.percentile(0.5)
    result.p99 = merged.percentile(0.99)
    result.p999 = merged.percentile(0.999)
    result.clockCost = clockCost()
    result.pacedRate = rate
    result.peakResidentBytes = peakResidentBytes()
    return result
}

// MARK: S3 and S4

/// Written only when `emptyCall` is handed an impossible index, so the optimizer must keep the calls.
nonisolated(unsafe) var emptyCallSideEffect = 0  // single-threaded S3 loop only

/// The same non-inlined call with a never-taken branch inside: its cost is subtracted to get the
/// disabled call's own.
@inline(never)
func emptyCall(_ log: SluiceLogger, _ index: Int) {
    if index < 0 {
        emptyCallSideEffect += log.label.utf8.count
    }
}

/// A call over its call site's rate limit (or left out by a sampler): the same shape as the
/// disabled call, with its own call site.
@inline(never)
func suppressedCall(_ log: SluiceLogger, _ index: Int) {
    log.info(
        "request handled",
        metadata: ["request_id": .string(Workload.requestID(producer: 0, index: index)), "status": 200]
    )
}

@inline(never)
func disabledCall(_ log: SluiceLogger, _ index: Int) {
    log.debug(
        "request handled",
        metadata: ["request_id": .string(Workload.requestID(producer: 0, index: index)), "status": 200]
    )
}

/// S3: the cost of a call below the level threshold, and what an enabled call allocates by itself.
func runDisabledCall(_ config: ChildConfig) async throws -> RunResult {
    var result = RunResult(system: config.system, scenario: "S3", policy: config.policy, records: config.records)
    let pipeline = try LogPipeline(sinks: [NullSink(format: TextFormat())], level: .info, levelEnvironmentVariable: nil)
    let log = pipeline.logger(label: Workload.label)
    let iterations = max(config.records * 100, 1_000_000)
    let allocationsBefore = threadAllocations()
    let start = monotonicNanoseconds()
    for index in 0..<iterations {
        disabledCall(log, index)
    }
    let elapsed = monotonicNanoseconds() - start
    result.disabledAllocations = threadAllocations() - allocationsBefore
    result.disabledNanoseconds = Double(elapsed) / Double(iterations)
    let emptyStart = monotonicNanoseconds()
    for index in 0..<iterations {
        emptyCall(log, index)
    }
    result.emptyCallNanoseconds = Double(monotonicNanoseconds() - emptyStart) / Double(iterations)

    // Calls the stages leave out at the call: over a rate limit of one per hour, and sampled out.
    let limited = try LogPipeline(
        sinks: [NullSink(format: TextFormat())], level: .info, levelEnvironmentVariable: nil,
        stages: StageOptions(rateLimit: .perCallSite(1, per: .seconds(3_600))))
    let sampled = try LogPipeline(
        sinks: [NullSink(format: TextFormat())], level: .info, levelEnvironmentVariable: nil,
        stages: StageOptions(sampling: [SamplingRule(label: Workload.label, keep: .probability(0))]))
    for (pipeline, path) in [(limited, \RunResult.rateLimitedNanoseconds), (sampled, \.sampledOutNanoseconds)] {
        let logger = pipeline.logger(label: Workload.label)
        let before = threadAllocations()
        let start = monotonicNanoseconds()
        for index in 0..<iterations {
            suppressedCall(logger, index)
        }
        result[keyPath: path] = Double(monotonicNanoseconds() - start) / Double(iterations)
        // The first call at a call site takes its slot in the rate limit (allocates once).
        result.suppressedAllocations = (result.suppressedAllocations ?? 0) + (threadAllocations() - before)
        await pipeline.shutdown()
    }

    // An enabled call with its message and metadata built beforehand: what Sluice itself allocates,
    // in the default mode and in cooperative mode (whose pipeline runs as tasks the calls wake).
    let enabled = await measureEnabledCallAllocations(log, pipeline)
    result.coldLoggerAllocations = enabled.cold
    result.coldLoggerChunkAllocations = enabled.coldChunks
    result.loggerAllocationsPerRecord = enabled.warmPerCall
    result.warmLoggerChunkAllocations = enabled.warmChunks
    await pipeline.shutdown()
    let cooperative = try LogPipeline(
        sinks: [NullSink(format: TextFormat())], level: .info, levelEnvironmentVariable: nil, mode: .cooperative)
    result.cooperativeLoggerAllocationsPerRecord =
        await measureEnabledCallAllocations(cooperative.logger(label: Workload.label), cooperative).warmPerCall
    await cooperative.shutdown()
    return result
}

/// Sluice's own allocations on the caller's thread in enabled calls with the message and metadata
/// built beforehand. The first round runs on a new pipeline, whose queue memory (64 KiB chunks, kept
/// for reuse) is taken as the backlog first grows; the second, after a flush, is the steady state.
private func measureEnabledCallAllocations(
    _ log: SluiceLogger, _ pipeline: LogPipeline
) async -> (cold: UInt64, coldChunks: UInt64, warmPerCall: Double, warmChunks: UInt64) {
    let metadata: LogMetadata = ["request_id": "0000000000000001", "status": 200, "path": "/api/v1/items"]
    let message = Workload.message
    let calls = 100_000
    var measured: (cold: UInt64, coldChunks: UInt64, warmPerCall: Double, warmChunks: UInt64) = (0, 0, 0, 0)
    for round in 0..<2 {
        let before = threadAllocations()
        let largeBefore = threadLargeAllocations()
        for _ in 0..<calls {
            log.info(message, metadata: metadata)
        }
        let allocations = threadAllocations() - before
        let chunks = threadLargeAllocations() - largeBefore
        if round == 0 {
            measured.cold = allocations
            measured.coldChunks = chunks
            await pipeline.flush()
        } else {
            measured.warmPerCall = Double(allocations) / Double(calls)
            measured.warmChunks = chunks
        }
    }
    return measured
}

/// S4: flush latency on an idle pipeline and with 10,000 records queued.
func runFlush(_ config: ChildConfig) async throws -> RunResult {
    var result = RunResult(system: config.system, scenario: "S4", policy: config.policy, records: 10_000)
    unlink(config.logFile)
    let sink = try FileSink(path: config.logFile, format: TextFormat())
    let pipeline = try LogPipeline(
        sinks: [sink], level: .info, levelEnvironmentVariable: nil, queue: QueueOptions(overflow: .block))
    let log = pipeline.logger(label: Workload.label)
    var idle: [Double] = []
    for _ in 0..<500 {
        let start = monotonicNanoseconds()
        await pipeline.flush()
        idle.append(Double(monotonicNanoseconds() - start) / 1e3)
    }
    var queued: [Double] = []
    for round in 0..<30 {
        for index in 0..<10_000 {
            log.info(
                "request handled",
                metadata: [
                    "request_id": .string(Workload.requestID(producer: round, index: index)), "status": 200,
                    "path": "/api/v1/items",
                ]
            )
        }
        let start = monotonicNanoseconds()
        await pipeline.flush()
        queued.append(Double(monotonicNanoseconds() - start) / 1e3)
    }
    await pipeline.shutdown()
    func summary(_ values: [Double]) -> [Double] {
        let sorted = values.sorted()
        return [sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]]
    }
    result.flushIdle = summary(idle)
    result.flushQueued = summary(queued)
    result.written = 300_000
    result.peakResidentBytes = peakResidentBytes()
    return result
}

// MARK: F: formatters and the file sink, single-threaded

/// F: what one record costs to format with each built-in format, and to format and write through
/// `FileSink`, on one thread with a warm 512-record batch: the pipeline's per-record work without the
/// hand-off between threads. Also runs under `valgrind --tool=callgrind` for instruction counts.
func runFormatters(_ config: ChildConfig) async throws -> RunResult {
    var result = RunResult(system: config.system, scenario: "F", policy: "-", records: config.records)
    let batch = (0..<512).map { index in
        LogRecord(
            level: .info,
            label: Workload.label,
            message: Workload.message,
            metadata: [
                "request_id": .string(Workload.requestID(producer: 0, index: index)), "status": 200,
                "path": "/api/v1/items",
            ]
        )
    }
    let rounds = max(1, config.records / batch.count)
    func measure(_ body: () async throws -> Void) async rethrows -> Double {
        var best = UInt64.max
        for _ in 0..<3 {
            let start = monotonicNanoseconds()
            for _ in 0..<rounds {
                try await body()
            }
            best = min(best, monotonicNanoseconds() - start)
        }
        return Double(best) / Double(rounds * batch.count)
    }
    var formats: [String: Double] = [:]
    for (name, format) in [("text", TextFormat() as any LogFormat), ("logfmt", LogfmtFormat()), ("json", JSONFormat())]
    {
        var output = LogOutput()
        formats[name] = await measure {
            var next = 0
            while next < batch.count {
                output.removeAll()
                next = format.write(batch, from: next, to: &output, byteLimit: 64 * 1024)
            }
        }
    }
    unlink(config.logFile)
    let file = try FileSink(path: config.logFile, format: TextFormat())
    formats["text + FileSink.write"] = try await measure { try await file.write(batch) }
    try await file.close()
    unlink(config.logFile)
    result.formatNanoseconds = formats
    return result
}
