#if Metrics
import Metrics
import MetricsTestKit
import Sluice
import SluiceTesting
import Testing

/// Fails every write: its batches are dropped for `sinkFailure`.
private struct FailingSink: LogSink {
    let name = "failing"
    let level = LogLevel.error

    func write(_ records: [LogRecord]) async throws {
        throw SluiceError(.writeFailed, "simulated failure")
    }
}

/// Metrics are checked against `pipeline.stats` after a workload with a known outcome: records
/// written, dropped for overflow, for a failing sink and after shutdown.
@Suite struct PipelineMetricsTests {
    private func counter(_ metrics: TestMetrics, _ label: String, _ dimensions: [(String, String)] = []) throws
        -> Int64
    {
        try metrics.expectCounter(label, dimensions).totalValue
    }

    private func gauge(_ metrics: TestMetrics, _ label: String, _ dimensions: [(String, String)] = []) throws
        -> Double?
    {
        try metrics.expectGauge(label, dimensions).lastValue
    }

    /// Runs the workload and returns the pipeline, stopped, with its final stats.
    private func workload() async throws -> (LogPipeline, HeldSink) {
        let held = HeldSink()
        let pipeline = try LogPipeline(
            sinks: [held, MemorySink(level: .info, name: "memory"), FailingSink()],
            level: .trace,
            levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 10, maxDelay: .milliseconds(5)),
            queue: QueueOptions(capacity: 20, overflow: .dropNewest),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(60)),
            onInternalError: .ignore
        )
        let log = pipeline.logger(label: "app")
        log.info("first")
        await held.waitUntilHolding()
        // The held sink keeps its first batch, its inbox (one batch) fills, and the queue (20)
        // fills behind it: the rest of these 100 records are dropped for overflow.
        for number in 0..<100 {
            log.log(level: number.isMultiple(of: 10) ? .error : .debug, "record \(number)")
        }
        await held.open()
        await pipeline.flush()
        await pipeline.shutdown()
        log.info("after shutdown")
        return (pipeline, held)
    }

    @Test func collectedMetricsMatchTheStatsAfterAKnownWorkload() async throws {
        let (pipeline, _) = try await workload()
        let metrics = TestMetrics()
        let exporter = PipelineMetrics(pipeline: pipeline, dimensions: [("pipeline", "main")], factory: metrics)
        exporter.collect()
        let stats = pipeline.stats
        let main = [("pipeline", "main")]

        // The workload produced every kind of outcome, so the comparisons below mean something.
        #expect(stats.dropped.overflow > 0)
        #expect(stats.dropped.shutdown == 1)
        #expect(stats.sinks[2].dropped.sinkFailure > 0)

        #expect(try counter(metrics, "sluice_records_logged_total", main) == Int64(stats.logged))
        #expect(try counter(metrics, "sluice_records_written_total", main) == Int64(stats.written))
        for (reason, value) in [
            ("overflow", stats.dropped.overflow), ("sink_failure", stats.dropped.sinkFailure),
            ("shutdown", stats.dropped.shutdown),
        ] {
            #expect(try counter(metrics, "sluice_records_dropped_total", main + [("reason", reason)]) == Int64(value))
        }
        #expect(try counter(metrics, "sluice_batches_total", main) == Int64(stats.batches))
        #expect(try counter(metrics, "sluice_flushes_total", main) == Int64(stats.flushes))
        #expect(try gauge(metrics, "sluice_records_in_flight", main) == 0)
        #expect(try gauge(metrics, "sluice_queue_depth", main) == 0)
        #expect(try gauge(metrics, "sluice_queue_capacity", main) == 20)
        #expect(try gauge(metrics, "sluice_queue_high_water_mark", main) == Double(stats.queueHighWaterMark))
        #expect(try gauge(metrics, "sluice_record_latency_max_seconds", main) ?? 0 > 0)

        for sink in stats.sinks {
            let dimensions = main + [("sink", sink.name)]
            #expect(try counter(metrics, "sluice_sink_records_written_total", dimensions) == Int64(sink.written))
            #expect(try counter(metrics, "sluice_sink_batches_total", dimensions) == Int64(sink.batches))
            #expect(try counter(metrics, "sluice_sink_errors_total", dimensions) == Int64(sink.errors))
            for (reason, value) in [
                ("overflow", sink.dropped.overflow), ("sink_failure", sink.dropped.sinkFailure),
                ("shutdown", sink.dropped.shutdown),
            ] {
                #expect(
                    try counter(metrics, "sluice_sink_records_dropped_total", dimensions + [("reason", reason)])
                        == Int64(value))
            }
            #expect(try gauge(metrics, "sluice_sink_inbox_depth", dimensions) == 0)
        }
        #expect(stats.sinks.map(\.name) == ["held", "memory", "failing"])
        #expect(stats.sinks[0].written == stats.written)
    }

    @Test func filteredGeneratedAndRedactedRecordsAreExported() async throws {
        let memory = MemorySink(name: "memory")
        let pipeline = try LogPipeline(
            sinks: [memory.filtered(.labels(exclude: ["quiet"]))], level: .trace, levelEnvironmentVariable: nil,
            stages: StageOptions(
                sampling: [SamplingRule(label: "sampled", keep: .oneIn(2))],
                rateLimit: .perCallSite(3, per: .seconds(60)),
                deduplication: Deduplication(),
                transformers: [LogTransformer("drop-x") { $0.message == "x" ? nil : $0 }]),
            onInternalError: .ignore)
        for _ in 0..<10 {
            pipeline.logger(label: "sampled").info("s", metadata: ["password": "p"])
        }
        for index in 0..<10 {
            pipeline.logger(label: "limited").info("l \(index)")
        }
        pipeline.logger(label: "t").info("x")
        pipeline.logger(label: "quiet").info("q")
        let report = await pipeline.shutdown()
        let metrics = TestMetrics()
        PipelineMetrics(pipeline: pipeline, factory: metrics).collect()
        let stats = report.stats
        #expect(stats.isBalanced && stats.inFlight == 0, "\(stats)")
        for (reason, value) in [
            ("sampled", stats.filtered.sampled), ("rate_limited", stats.filtered.rateLimited),
            ("deduplicated", stats.filtered.deduplicated), ("transformed", stats.filtered.transformed),
            ("sink_filter", stats.filtered.sinkFilter), ("backtrace", stats.filtered.backtrace),
        ] {
            #expect(try counter(metrics, "sluice_records_filtered_total", [("reason", reason)]) == Int64(value))
        }
        // Ten "s": five sampled out, three of the rest through the limit (two repeats of the first);
        // ten "l": three through.
        #expect(stats.filtered.sampled == 5 && stats.filtered.rateLimited == 9 && stats.filtered.deduplicated == 2)
        #expect(stats.filtered.transformed == 1 && stats.filtered.sinkFilter == 1)
        #expect(try counter(metrics, "sluice_records_generated_total") == Int64(stats.generated))
        #expect(try counter(metrics, "sluice_records_redacted_total") == Int64(stats.redacted))
        // Two rate-limit summaries and one of repeats; the three "s" were redacted before they were
        // compared.
        #expect(stats.generated == 3 && stats.redacted == 3)
        #expect(try counter(metrics, "sluice_sink_records_filtered_total", [("sink", "memory")]) == 1)
        #expect(try counter(metrics, "sluice_transformer_records_dropped_total", [("transformer", "drop-x")]) == 1)
    }

    @Test func countersGrowByTheIncreaseBetweenExports() async throws {
        let capture = try LogCapture()
        let metrics = TestMetrics()
        let exporter = PipelineMetrics(pipeline: capture.pipeline, factory: metrics)
        let log = capture.logger(label: "app")
        for number in 0..<30 {
            log.info("first \(number)")
        }
        _ = await capture.flushedRecords()
        exporter.collect()
        exporter.collect()  // nothing new: no increment
        for number in 0..<12 {
            log.info("second \(number)")
        }
        _ = await capture.flushedRecords()
        exporter.collect()
        let written = try metrics.expectCounter("sluice_records_written_total")
        #expect(written.values == [30, 12])
        #expect(written.totalValue == Int64(capture.pipeline.stats.written))
        await capture.shutdown()
    }

    @Test func periodicExportEndsWithTheFinalStatsAfterShutdown() async throws {
        let capture = try LogCapture()
        let metrics = TestMetrics()
        // An interval far longer than the test: the only exports are the final one and any tick.
        let exporter = capture.pipeline.exportMetrics(every: .seconds(3_600), factory: metrics)
        let log = capture.logger(label: "app")
        for number in 0..<250 {
            log.info("record \(number)")
        }
        let report = await capture.shutdown()
        await exporter.exportTask?.value
        #expect(try counter(metrics, "sluice_records_logged_total") == 250)
        #expect(try counter(metrics, "sluice_records_written_total") == Int64(report.stats.written))
        #expect(report.stats.written == 250)
        #expect(try gauge(metrics, "sluice_records_in_flight") == 0)
    }
}
#endif
