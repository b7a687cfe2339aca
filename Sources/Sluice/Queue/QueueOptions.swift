/// The bounded queue between the loggers and the pipeline: how much it holds and what happens when
/// it is full.
///
/// Memory is bounded twice: at most `capacity` records wait to be batched, and all records waiting
/// or being written (the batches in each sink's inbox included, see ``DeliveryOptions``) take at
/// most `maxBytes` of memory. Records are stored encoded, about 100–200 bytes for a typical record
/// with a few metadata values, so the record limit is usually the one that applies; the byte limit
/// guards against a flood of very large messages.
///
/// ```swift
/// let queue = QueueOptions(capacity: 65_536, maxBytes: 16 << 20, overflow: .dropOldest, protectedLevel: .error)
/// ```
public struct QueueOptions: Sendable, Hashable {
    /// The most records that may wait in the queue. Must be at least the batch size.
    public var capacity: Int
    /// The most bytes of memory that records waiting in the queue or being written may take. When it
    /// is reached, `block` waits for memory to come back and the dropping policies drop the record
    /// being logged (evicting older records would not free memory at once). A single record larger
    /// than this is always dropped. At least 1 MiB.
    public var maxBytes: Int
    /// What to do with a record when the queue is full.
    public var overflow: OverflowPolicy
    /// Under the dropping policies, records at or above this level are discarded only when no record
    /// below it is left to discard. Ignored by `block`, which never discards.
    public var protectedLevel: LogLevel

    /// Creates queue options.
    ///
    /// - Parameters:
    ///   - capacity: The most records that may wait; default 65,536.
    ///   - maxBytes: The most memory records may take; default 16 MiB.
    ///   - overflow: The policy when full; default ``OverflowPolicy/dropOldest``.
    ///   - protectedLevel: The level from which records are kept longest; default `.error`.
    public init(
        capacity: Int = 65_536,
        maxBytes: Int = 16 << 20,
        overflow: OverflowPolicy = .dropOldest,
        protectedLevel: LogLevel = .error
    ) {
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.overflow = overflow
        self.protectedLevel = protectedLevel
    }
}
