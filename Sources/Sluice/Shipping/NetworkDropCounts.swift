/// Records a network sink gave up on, by reason.
///
/// ```swift
/// let dropped = sink.stats.droppedRecords
/// print("rejected \(dropped.rejected), overflow \(dropped.overflow), total \(dropped.total)")
/// ```
public struct NetworkDropCounts: Sendable, Hashable, CustomStringConvertible {
    /// Refused for good by the receiver (HTTP 4xx other than 429).
    public var rejected = 0
    /// Still failing when the retry budget ran out.
    public var retryBudgetExhausted = 0
    /// Dropped because the buffer of pending batches was full.
    public var overflow = 0
    /// Still pending when the sink was closed.
    public var closed = 0
    /// Still pending when the pipeline's shutdown deadline passed (the pipeline counts them as
    /// dropped for `shutdown`).
    public var shutdown = 0

    /// Creates counts.
    public init(rejected: Int = 0, retryBudgetExhausted: Int = 0, overflow: Int = 0, closed: Int = 0, shutdown: Int = 0)
    {
        self.rejected = rejected
        self.retryBudgetExhausted = retryBudgetExhausted
        self.overflow = overflow
        self.closed = closed
        self.shutdown = shutdown
    }

    /// All records given up on.
    public var total: Int { rejected + retryBudgetExhausted + overflow + closed + shutdown }

    public var description: String {
        "\(total) (rejected \(rejected), retry budget \(retryBudgetExhausted), overflow \(overflow), closed \(closed), shutdown \(shutdown))"
    }
}
