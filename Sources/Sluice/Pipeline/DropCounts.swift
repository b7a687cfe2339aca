/// Records counted as dropped, by reason.
///
/// Sluice never loses a record silently: every record is either written or counted here.
///
/// ```swift
/// let dropped = pipeline.stats.dropped
/// if dropped.total > 0 { print("lost \(dropped.overflow) to overflow, \(dropped.sinkFailure) to sinks") }
/// ```
///
/// ``afterShutdown`` is the one count that is not a loss: those calls came after the pipeline had
/// finished shutting down (a service group logging about its own end, say), when there was nothing
/// left to write them with. They are kept out of ``total`` and out of ``PipelineStats/logged``, so an
/// alert on `total` does not fire on every clean deploy.
public struct DropCounts: Sendable, Hashable, CustomStringConvertible {
    /// Discarded by the queue's overflow policy (or by `block` on one of Sluice's own threads).
    public var overflow: Int
    /// Not written by any sink they were routed to: the write failed, or the sink was stalled and its
    /// inbox full.
    public var sinkFailure: Int
    /// Logged after shutdown began and before it finished, or still pending when the shutdown
    /// deadline passed.
    public var shutdown: Int
    /// Waited for room under ``OverflowPolicy/block(timeout:)`` until the timeout passed.
    public var timedOut: Int
    /// The task waiting for room in ``SluiceLogger/send(_:_:metadata:file:function:line:)`` was
    /// cancelled.
    public var cancelled: Int
    /// Logged after the shutdown had completed. Not a loss, and not part of ``total`` (or of
    /// ``PipelineStats/logged``).
    public var afterShutdown: Int

    /// Creates drop counts.
    public init(
        overflow: Int = 0, sinkFailure: Int = 0, shutdown: Int = 0, timedOut: Int = 0, cancelled: Int = 0,
        afterShutdown: Int = 0
    ) {
        self.overflow = overflow
        self.sinkFailure = sinkFailure
        self.shutdown = shutdown
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.afterShutdown = afterShutdown
    }

    /// All records lost: every reason but ``afterShutdown``.
    public var total: Int { overflow + sinkFailure + shutdown + timedOut + cancelled }

    public var description: String {
        var text =
            "\(total) (overflow \(overflow), sink failure \(sinkFailure), shutdown \(shutdown), timed out \(timedOut), cancelled \(cancelled))"
        if afterShutdown > 0 {
            text += "; \(afterShutdown) logged after shutdown"
        }
        return text
    }
}
