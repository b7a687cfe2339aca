/// How the collector groups records into batches for the sinks.
///
/// A batch closes at ``maxRecords`` records or ``maxDelay`` after its first record, whichever comes
/// first. Larger batches mean fewer writes (higher throughput); a shorter delay means records reach
/// the sinks sooner when traffic is light. `flush()` and `shutdown()` never wait for the delay.
///
/// ```swift
/// let batching = BatchingOptions(maxRecords: 512, maxDelay: .milliseconds(50))
/// ```
public struct BatchingOptions: Sendable, Hashable {
    /// The most records in one batch.
    public var maxRecords: Int
    /// The longest a record waits for its batch to fill.
    public var maxDelay: Duration

    /// Creates batching options.
    ///
    /// - Parameters:
    ///   - maxRecords: Records per batch at most; default 512.
    ///   - maxDelay: Longest wait for a batch to fill; default 50 ms.
    public init(maxRecords: Int = 512, maxDelay: Duration = .milliseconds(50)) {
        self.maxRecords = maxRecords
        self.maxDelay = maxDelay
    }
}
