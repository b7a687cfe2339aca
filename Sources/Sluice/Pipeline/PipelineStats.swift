/// A snapshot of a pipeline's counters, cheap to take (a few uncontended locks, no `await`).
///
/// Every record a logger hands to the pipeline is counted in ``logged``, every record a stage writes
/// by itself (a summary) in ``generated``, and each ends up in exactly one of ``written``,
/// ``dropped``, ``filtered`` or ``inFlight``; the snapshot is taken atomically, so
/// `logged + generated == written + dropped.total + filtered.total + inFlight` holds in every
/// snapshot (``isBalanced``), and after shutdown ``inFlight`` is 0.
///
/// ```swift
/// let stats = pipeline.stats
/// print(stats)                       // a readable multi-line summary
/// metrics.gauge("log_queue_depth", stats.queueDepth)
/// ```
///
/// A record routed to several sinks counts as written once at least one of them wrote it; each sink's
/// own ``SinkStats`` says what that sink wrote and dropped.
public struct PipelineStats: Sendable, Hashable, CustomStringConvertible {
    /// Where the pipeline is in its life.
    public var state: PipelineState
    /// Records handed to the pipeline by enabled log calls (including ones dropped on arrival).
    public var logged: Int
    /// Records written by at least one of their sinks.
    public var written: Int
    /// Records dropped, by reason.
    public var dropped: DropCounts
    /// Records a processing stage removed on purpose, by stage (sampled out, rate limited,
    /// deduplicated, ...). See ``StageOptions``.
    public var filtered: FilterCounts
    /// Records the stages wrote themselves: rate-limit and deduplication summaries.
    public var generated: Int
    /// Records the redaction rewrote to hide a value or a match (they are written, or counted like
    /// any record).
    public var redacted: Int
    /// Records queued or being written right now, including calls still waiting for room under
    /// ``OverflowPolicy/block``.
    public var inFlight: Int
    /// Records waiting in the queue (including those the collector took but has not batched yet).
    public var queueDepth: Int
    /// The queue's capacity.
    public var queueCapacity: Int
    /// The deepest the queue has been when the collector took records or a snapshot was taken (the
    /// deepest point between two takes is not tracked, so as not to make log calls share a counter).
    public var queueHighWaterMark: Int
    /// Batches handed to the sinks.
    public var batches: Int
    /// Flush barriers completed.
    public var flushes: Int
    /// Mean time from a log call until its record was written.
    public var meanLatency: Duration
    /// Longest time from a log call until its record was written.
    public var maxLatency: Duration
    /// Time since the pipeline was created.
    public var uptime: Duration
    /// Per-sink counters, in the order the sinks were given.
    public var sinks: [SinkStats]
    /// Per-transformer counters, in the order the transformers were given.
    public var transformers: [TransformerStats]

    /// Whether every record is accounted for exactly once:
    /// `logged + generated == written + dropped.total + filtered.total + inFlight`. True in every
    /// snapshot.
    public var isBalanced: Bool {
        logged + generated == written + dropped.total + filtered.total + inFlight
    }

    public var description: String {
        func formatted(_ duration: Duration) -> String { duration.readable }
        var lines = [
            "Sluice pipeline (\(state), up \(formatted(uptime)))",
            "  logged     \(logged)",
            "  written    \(written)",
            "  dropped    \(dropped)",
            "  filtered   \(filtered)",
            "  generated  \(generated), redacted \(redacted)",
            "  in flight  \(inFlight)",
            "  queue      \(queueDepth)/\(queueCapacity) (high-water \(queueHighWaterMark))",
            "  batches    \(batches), flushes \(flushes)",
            "  latency    mean \(formatted(meanLatency)), max \(formatted(maxLatency))",
        ]
        for sink in sinks {
            var line = "  sink \(sink.name) [\(sink.level)+, \(sink.status)]: written \(sink.written)"
            if let bytes = sink.bytes {
                line += " (\(bytes) bytes)"
            }
            line += ", dropped \(sink.dropped.total), filtered \(sink.filtered), errors \(sink.errors)"
            if let lastError = sink.lastError {
                line += ", last error: \(lastError)"
            }
            lines.append(line)
        }
        for transformer in transformers {
            var line = "  transformer \(transformer.name): dropped \(transformer.dropped), errors \(transformer.errors)"
            if let lastError = transformer.lastError {
                line += ", last error: \(lastError)"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
