#if Metrics
import CoreMetrics

/// Exports a pipeline's ``PipelineStats`` as swift-metrics counters and gauges (trait `Metrics`).
///
/// Get one from ``LogPipeline/exportMetrics(every:dimensions:factory:)``, which also exports
/// periodically, or create one and call ``collect()`` yourself (e.g. from a scrape handler).
///
/// ```swift
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
/// let metrics = pipeline.exportMetrics(every: .seconds(10))   // and once more after shutdown
/// ```
///
/// The metrics, all with the `dimensions` you pass added:
///
/// | Name | Type | Dimensions | Value |
/// | --- | --- | --- | --- |
/// | `sluice_records_logged_total` | counter | | ``PipelineStats/logged`` |
/// | `sluice_records_written_total` | counter | | ``PipelineStats/written`` |
/// | `sluice_records_dropped_total` | counter | `reason`: `overflow`, `sink_failure`, `shutdown` | ``PipelineStats/dropped`` |
/// | `sluice_records_filtered_total` | counter | `reason`: `sampled`, `rate_limited`, `deduplicated`, `transformed`, `sink_filter`, `backtrace` | ``PipelineStats/filtered`` |
/// | `sluice_records_generated_total` | counter | | ``PipelineStats/generated`` |
/// | `sluice_records_redacted_total` | counter | | ``PipelineStats/redacted`` |
/// | `sluice_records_in_flight` | gauge | | ``PipelineStats/inFlight`` |
/// | `sluice_queue_depth` | gauge | | ``PipelineStats/queueDepth`` |
/// | `sluice_queue_capacity` | gauge | | ``PipelineStats/queueCapacity`` |
/// | `sluice_queue_high_water_mark` | gauge | | ``PipelineStats/queueHighWaterMark`` |
/// | `sluice_batches_total` | counter | | ``PipelineStats/batches`` |
/// | `sluice_flushes_total` | counter | | ``PipelineStats/flushes`` |
/// | `sluice_record_latency_mean_seconds` | gauge | | ``PipelineStats/meanLatency`` |
/// | `sluice_record_latency_max_seconds` | gauge | | ``PipelineStats/maxLatency`` |
/// | `sluice_sink_records_written_total` | counter | `sink` | ``SinkStats/written`` |
/// | `sluice_sink_records_dropped_total` | counter | `sink`, `reason` | ``SinkStats/dropped`` |
/// | `sluice_sink_bytes_written_total` | counter | `sink` | ``SinkStats/bytes`` (byte sinks only) |
/// | `sluice_sink_batches_total` | counter | `sink` | ``SinkStats/batches`` |
/// | `sluice_sink_errors_total` | counter | `sink` | ``SinkStats/errors`` |
/// | `sluice_sink_inbox_depth` | gauge | `sink` | ``SinkStats/inboxDepth`` |
/// | `sluice_sink_batch_write_mean_seconds` | gauge | `sink` | ``SinkStats/meanWriteDuration`` |
/// | `sluice_sink_records_filtered_total` | counter | `sink` | ``SinkStats/filtered`` |
/// | `sluice_transformer_records_dropped_total` | counter | `transformer` | ``TransformerStats/dropped`` |
/// | `sluice_transformer_errors_total` | counter | `transformer` | ``TransformerStats/errors`` |
///
/// Counters are pushed as the increase since the previous export, so a counter's total in the
/// backend equals the stats value at the last export.
///
/// - Important: `PipelineMetrics` is `Sendable`; ``collect()`` may be called from any thread,
///   concurrently with the periodic export (exports are serialised). It takes one stats snapshot and
///   never awaits. The periodic export runs on a thread of its own, not on Swift's cooperative pool,
///   so a slow metrics backend never holds up logging.
public final class PipelineMetrics: Sendable {
    private let pipeline: LogPipeline
    private let state: LockedValue<ExportState>
    private let loop = LockedValue<Task<Void, Never>?>(nil)

    /// Creates an exporter that exports when you call ``collect()``.
    ///
    /// ```swift
    /// let metrics = PipelineMetrics(pipeline: pipeline, dimensions: [("pipeline", "main")])
    /// metrics.collect()
    /// ```
    ///
    /// - Parameters:
    ///   - pipeline: The pipeline whose stats to export.
    ///   - dimensions: Added to every metric, e.g. `[("pipeline", "audit")]` to tell pipelines apart.
    ///   - factory: The metrics backend; default the one bootstrapped with `MetricsSystem`.
    public init(
        pipeline: LogPipeline,
        dimensions: [(String, String)] = [],
        factory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.pipeline = pipeline
        state = LockedValue(
            ExportState(
                sinkNames: pipeline.sinkNames, transformerNames: pipeline.core.stageOptions.transformers.map(\.name),
                dimensions: dimensions, factory: factory))
    }

    /// Exports the pipeline's current stats now.
    ///
    /// ```swift
    /// metrics.collect()
    /// ```
    public func collect() {
        let stats = pipeline.stats
        state.withLock { $0.export(stats) }
    }

    /// Stops the periodic export started by ``LogPipeline/exportMetrics(every:dimensions:factory:)``.
    /// ``collect()`` still works.
    public func stop() {
        loop.withLock { $0 }?.cancel()
    }

    /// Exports every `interval` on a thread of its own, and once more when the pipeline has shut down.
    package func startExporting(every interval: Duration) {
        let executor = ThreadExecutor(name: "sluice-metrics")
        let task = Task(name: "sluice metrics", executorPreference: executor) { [self, pipeline] in
            var next = ContinuousClock.now.advanced(by: interval)
            while !Task.isCancelled {
                let deadline = next
                let stopped = await withTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        await executor.sleep(until: deadline)
                        return false
                    }
                    group.addTask {
                        await pipeline.shutdownReport.waitUnlessCancelled() != nil
                    }
                    let first = await group.next() ?? true
                    group.cancelAll()
                    return first
                }
                collect()
                if stopped {
                    break
                }
                next = max(next.advanced(by: interval), .now)
            }
            executor.stop()
        }
        loop.withLock { $0 = task }
    }

    /// The periodic export, for tests that wait for its final export.
    package var exportTask: Task<Void, Never>? {
        loop.withLock { $0 }
    }
}

/// The metric objects and the counter values already exported.
private struct ExportState {
    private struct Exported {
        var logged = 0
        var written = 0
        var dropped = DropCounts()
        var filtered = FilterCounts()
        var generated = 0
        var redacted = 0
        var batches = 0
        var flushes = 0
        var sinks: [SinkExported]
        var transformers: [TransformerStats]
    }

    private struct SinkExported {
        var written = 0
        var dropped = DropCounts()
        var filtered = 0
        var bytes = 0
        var batches = 0
        var errors = 0
    }

    private struct FilterCounters {
        let sampled: Counter
        let rateLimited: Counter
        let deduplicated: Counter
        let transformed: Counter
        let sinkFilter: Counter
        let backtrace: Counter

        init(_ label: String, _ dimensions: [(String, String)], _ factory: any MetricsFactory) {
            func counter(_ reason: String) -> Counter {
                Counter(label: label, dimensions: dimensions + [("reason", reason)], factory: factory)
            }
            sampled = counter("sampled")
            rateLimited = counter("rate_limited")
            deduplicated = counter("deduplicated")
            transformed = counter("transformed")
            sinkFilter = counter("sink_filter")
            backtrace = counter("backtrace")
        }

        func add(_ now: FilterCounts, since before: FilterCounts) {
            increment(sampled, now.sampled, before.sampled)
            increment(rateLimited, now.rateLimited, before.rateLimited)
            increment(deduplicated, now.deduplicated, before.deduplicated)
            increment(transformed, now.transformed, before.transformed)
            increment(sinkFilter, now.sinkFilter, before.sinkFilter)
            increment(backtrace, now.backtrace, before.backtrace)
        }
    }

    private struct TransformerMetrics {
        let dropped: Counter
        let errors: Counter
    }

    private struct DropCounters {
        let overflow: Counter
        let sinkFailure: Counter
        let shutdown: Counter

        init(_ label: String, _ dimensions: [(String, String)], _ factory: any MetricsFactory) {
            func counter(_ reason: String) -> Counter {
                Counter(label: label, dimensions: dimensions + [("reason", reason)], factory: factory)
            }
            overflow = counter("overflow")
            sinkFailure = counter("sink_failure")
            shutdown = counter("shutdown")
        }

        func add(_ now: DropCounts, since before: DropCounts) {
            increment(overflow, now.overflow, before.overflow)
            increment(sinkFailure, now.sinkFailure, before.sinkFailure)
            increment(shutdown, now.shutdown, before.shutdown)
        }
    }

    private struct SinkMetrics {
        let written: Counter
        let dropped: DropCounters
        let bytes: Counter
        let batches: Counter
        let errors: Counter
        let inboxDepth: Gauge
        let batchWriteMean: Gauge
        let filtered: Counter
    }

    private let logged: Counter
    private let written: Counter
    private let dropped: DropCounters
    private let filtered: FilterCounters
    private let generated: Counter
    private let redacted: Counter
    private let transformers: [TransformerMetrics]
    private let inFlight: Gauge
    private let queueDepth: Gauge
    private let queueCapacity: Gauge
    private let queueHighWaterMark: Gauge
    private let batches: Counter
    private let flushes: Counter
    private let latencyMean: Gauge
    private let latencyMax: Gauge
    private let sinks: [SinkMetrics]
    private var exported: Exported

    init(sinkNames: [String], transformerNames: [String], dimensions: [(String, String)], factory: any MetricsFactory) {
        func counter(_ label: String, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: label, dimensions: dimensions + extra, factory: factory)
        }
        func gauge(_ label: String, _ extra: [(String, String)] = []) -> Gauge {
            Gauge(label: label, dimensions: dimensions + extra, factory: factory)
        }
        logged = counter("sluice_records_logged_total")
        written = counter("sluice_records_written_total")
        dropped = DropCounters("sluice_records_dropped_total", dimensions, factory)
        filtered = FilterCounters("sluice_records_filtered_total", dimensions, factory)
        generated = counter("sluice_records_generated_total")
        redacted = counter("sluice_records_redacted_total")
        transformers = transformerNames.map { name in
            TransformerMetrics(
                dropped: counter("sluice_transformer_records_dropped_total", [("transformer", name)]),
                errors: counter("sluice_transformer_errors_total", [("transformer", name)]))
        }
        inFlight = gauge("sluice_records_in_flight")
        queueDepth = gauge("sluice_queue_depth")
        queueCapacity = gauge("sluice_queue_capacity")
        queueHighWaterMark = gauge("sluice_queue_high_water_mark")
        batches = counter("sluice_batches_total")
        flushes = counter("sluice_flushes_total")
        latencyMean = gauge("sluice_record_latency_mean_seconds")
        latencyMax = gauge("sluice_record_latency_max_seconds")
        sinks = sinkNames.map { name in
            let sink = [("sink", name)]
            return SinkMetrics(
                written: counter("sluice_sink_records_written_total", sink),
                dropped: DropCounters("sluice_sink_records_dropped_total", dimensions + sink, factory),
                bytes: counter("sluice_sink_bytes_written_total", sink),
                batches: counter("sluice_sink_batches_total", sink),
                errors: counter("sluice_sink_errors_total", sink),
                inboxDepth: gauge("sluice_sink_inbox_depth", sink),
                batchWriteMean: gauge("sluice_sink_batch_write_mean_seconds", sink),
                filtered: counter("sluice_sink_records_filtered_total", sink)
            )
        }
        exported = Exported(
            sinks: Array(repeating: SinkExported(), count: sinkNames.count),
            transformers: transformerNames.map { TransformerStats(name: $0) })
    }

    mutating func export(_ stats: PipelineStats) {
        increment(logged, stats.logged, exported.logged)
        increment(written, stats.written, exported.written)
        dropped.add(stats.dropped, since: exported.dropped)
        filtered.add(stats.filtered, since: exported.filtered)
        increment(generated, stats.generated, exported.generated)
        increment(redacted, stats.redacted, exported.redacted)
        increment(batches, stats.batches, exported.batches)
        increment(flushes, stats.flushes, exported.flushes)
        inFlight.record(stats.inFlight)
        queueDepth.record(stats.queueDepth)
        queueCapacity.record(stats.queueCapacity)
        queueHighWaterMark.record(stats.queueHighWaterMark)
        latencyMean.record(stats.meanLatency.seconds)
        latencyMax.record(stats.maxLatency.seconds)
        exported.logged = stats.logged
        exported.written = stats.written
        exported.dropped = stats.dropped
        exported.filtered = stats.filtered
        exported.generated = stats.generated
        exported.redacted = stats.redacted
        exported.batches = stats.batches
        exported.flushes = stats.flushes

        for (index, sink) in stats.sinks.enumerated() where index < sinks.count {
            let metrics = sinks[index]
            var before = exported.sinks[index]
            increment(metrics.written, sink.written, before.written)
            metrics.dropped.add(sink.dropped, since: before.dropped)
            increment(metrics.batches, sink.batches, before.batches)
            increment(metrics.errors, sink.errors, before.errors)
            increment(metrics.filtered, sink.filtered, before.filtered)
            if let bytes = sink.bytes {
                increment(metrics.bytes, bytes, before.bytes)
                before.bytes = bytes
            }
            metrics.inboxDepth.record(sink.inboxDepth)
            metrics.batchWriteMean.record(sink.meanWriteDuration.seconds)
            before.written = sink.written
            before.dropped = sink.dropped
            before.batches = sink.batches
            before.errors = sink.errors
            before.filtered = sink.filtered
            exported.sinks[index] = before
        }
        for (index, transformer) in stats.transformers.enumerated() where index < transformers.count {
            increment(transformers[index].dropped, transformer.dropped, exported.transformers[index].dropped)
            increment(transformers[index].errors, transformer.errors, exported.transformers[index].errors)
            exported.transformers[index] = transformer
        }
    }
}

/// Pushes the increase of a monotonically growing stats counter.
private func increment(_ counter: Counter, _ now: Int, _ before: Int) {
    if now > before {
        counter.increment(by: now - before)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension LogPipeline {
    /// Exports this pipeline's stats as swift-metrics counters and gauges every `interval`, and once
    /// more after the pipeline has shut down (trait `Metrics`). The names are listed under
    /// ``PipelineMetrics``.
    ///
    /// ```swift
    /// MetricsSystem.bootstrap(myMetricsFactory)
    /// let metrics = pipeline.exportMetrics(every: .seconds(10))
    /// ```
    ///
    /// - Parameters:
    ///   - interval: Time between exports; default 10 seconds. Values below 10 ms are raised to 10 ms.
    ///   - dimensions: Added to every metric, e.g. `[("pipeline", "audit")]`.
    ///   - factory: The metrics backend; default the one bootstrapped with `MetricsSystem`.
    /// - Returns: The exporter; call ``PipelineMetrics/collect()`` to export in between, or
    ///   ``PipelineMetrics/stop()`` to stop the periodic export.
    @discardableResult
    public func exportMetrics(
        every interval: Duration = .seconds(10),
        dimensions: [(String, String)] = [],
        factory: any MetricsFactory = MetricsSystem.factory
    ) -> PipelineMetrics {
        let metrics = PipelineMetrics(pipeline: self, dimensions: dimensions, factory: factory)
        metrics.startExporting(every: max(interval, .milliseconds(10)))
        return metrics
    }
}
#endif
