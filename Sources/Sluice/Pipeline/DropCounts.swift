/// Records counted as dropped, by reason.
///
/// Sluice never loses a record silently: every record is either written or counted here.
///
/// ```swift
/// let dropped = pipeline.stats.dropped
/// if dropped.total > 0 { print("lost \(dropped.overflow) to overflow, \(dropped.sinkFailure) to sinks") }
/// ```
public struct DropCounts: Sendable, Hashable, CustomStringConvertible {
    /// Discarded by the queue's overflow policy (or by `block` on one of Sluice's own threads).
    public var overflow: Int
    /// Not written by any sink they were routed to: the write failed, or the sink was stalled and its
    /// inbox full.
    public var sinkFailure: Int
    /// Logged after shutdown began, or still pending when the shutdown deadline passed.
    public var shutdown: Int

    /// Creates drop counts.
    public init(overflow: Int = 0, sinkFailure: Int = 0, shutdown: Int = 0) {
        self.overflow = overflow
        self.sinkFailure = sinkFailure
        self.shutdown = shutdown
    }

    /// All dropped records.
    public var total: Int { overflow + sinkFailure + shutdown }

    public var description: String {
        "\(total) (overflow \(overflow), sink failure \(sinkFailure), shutdown \(shutdown))"
    }
}
