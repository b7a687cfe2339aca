/// The bounded queue between the loggers and the pipeline: its capacity and what happens when it is
/// full.
///
/// Memory is bounded by the queue: at most `capacity` records wait to be batched, plus the batches
/// each sink's inbox holds (see ``DeliveryOptions``).
///
/// ```swift
/// let queue = QueueOptions(capacity: 65_536, overflow: .dropOldest, protectedLevel: .error)
/// ```
public struct QueueOptions: Sendable, Hashable {
    /// The most records that may wait in the queue. Must be at least the batch size.
    public var capacity: Int
    /// What to do with a record when the queue is full.
    public var overflow: OverflowPolicy
    /// Under the dropping policies, records at or above this level are discarded only when no record
    /// below it is left to discard. Ignored by `block`, which never discards.
    public var protectedLevel: LogLevel

    /// Creates queue options.
    ///
    /// - Parameters:
    ///   - capacity: The most records that may wait; default 65,536.
    ///   - overflow: The policy when full; default ``OverflowPolicy/dropOldest``.
    ///   - protectedLevel: The level from which records are kept longest; default `.error`.
    public init(capacity: Int = 65_536, overflow: OverflowPolicy = .dropOldest, protectedLevel: LogLevel = .error) {
        self.capacity = capacity
        self.overflow = overflow
        self.protectedLevel = protectedLevel
    }
}
