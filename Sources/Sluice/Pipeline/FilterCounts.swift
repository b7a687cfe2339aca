/// Records a processing stage removed on purpose, by stage: counted, like drops, so that
/// `logged + generated == written + dropped.total + filtered.total + inFlight` in every snapshot.
///
/// ```swift
/// let filtered = pipeline.stats.filtered
/// print("rate limited \(filtered.rateLimited), sampled out \(filtered.sampled)")
/// ```
public struct FilterCounts: Sendable, Hashable, CustomStringConvertible {
    /// Left out by a ``SamplingRule``, at the call.
    public var sampled: Int
    /// Suppressed by the ``RateLimit``, at the call (each one is in a summary record's count).
    public var rateLimited: Int
    /// Repeats collapsed by ``Deduplication``.
    public var deduplicated: Int
    /// Dropped by a ``LogTransformer``.
    public var transformed: Int
    /// Turned away by every sink's ``SinkFilter``.
    public var sinkFilter: Int
    /// Kept for a ``Backtrace`` and never written: pushed out of their ring, or still there at
    /// shutdown.
    public var backtrace: Int

    /// Creates filter counts.
    public init(
        sampled: Int = 0, rateLimited: Int = 0, deduplicated: Int = 0, transformed: Int = 0, sinkFilter: Int = 0,
        backtrace: Int = 0
    ) {
        self.sampled = sampled
        self.rateLimited = rateLimited
        self.deduplicated = deduplicated
        self.transformed = transformed
        self.sinkFilter = sinkFilter
        self.backtrace = backtrace
    }

    /// Every record a stage removed.
    public var total: Int { sampled + rateLimited + deduplicated + transformed + sinkFilter + backtrace }

    public var description: String {
        "\(total) (sampled \(sampled), rate limited \(rateLimited), deduplicated \(deduplicated), transformed \(transformed), sink filter \(sinkFilter), backtrace \(backtrace))"
    }
}
