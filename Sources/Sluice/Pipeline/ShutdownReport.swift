/// What ``LogPipeline/shutdown(timeout:)`` did.
///
/// ```swift
/// let report = await pipeline.shutdown(timeout: .seconds(5))
/// if report.timedOut { print("gave up on \(report.unfinishedSinks)") }
/// print(report.stats.written, report.stats.dropped)
/// ```
public struct ShutdownReport: Sendable, Hashable, CustomStringConvertible {
    /// Whether the deadline passed before every sink was drained and closed.
    public var timedOut: Bool
    /// Sinks that had not finished closing at the deadline (empty unless ``timedOut``).
    public var unfinishedSinks: [String]
    /// How long the shutdown took.
    public var duration: Duration
    /// The pipeline's final counters; `inFlight` is 0.
    public var stats: PipelineStats

    /// Records written.
    public var written: Int { stats.written }
    /// Records dropped, by reason.
    public var dropped: DropCounts { stats.dropped }

    public var description: String {
        let outcome = timedOut ? "timed out (unfinished: \(unfinishedSinks.joined(separator: ", ")))" : "completed"
        return "shutdown \(outcome) in \(duration.readable)\n\(stats)"
    }
}
