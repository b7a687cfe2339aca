/// What the queue does with a record when it is full.
///
/// ```swift
/// let pipeline = try LogPipeline(sinks: [ConsoleSink()], queue: .init(capacity: 65_536, overflow: .dropOldest))
/// let strict = QueueOptions(overflow: .block(timeout: .milliseconds(100)))   // wait, but not for ever
/// ```
///
/// Under the dropping policies, records at or above ``QueueOptions/protectedLevel`` (default `error`)
/// are discarded only when nothing below that level is left to discard, so a flood of debug records
/// cannot push an error out. Every discarded record is counted as dropped with reason `overflow` (or
/// `timedOut` for ``block(timeout:)``).
public struct OverflowPolicy: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case dropNewest
        case dropOldest
        case block
        case blockUpTo(Duration)
    }

    package let kind: Kind

    /// Discard the record being logged (keep what is queued).
    public static let dropNewest = OverflowPolicy(kind: .dropNewest)

    /// Discard the oldest queued record to make room (keep the most recent history).
    ///
    /// Only records still in the queue can be discarded: those the collector has already taken
    /// (at most one take, while the stages run over it and it is cut into batches) hold their room
    /// until they are handed to the sinks. A call that finds all the room held by such records drops
    /// its own record instead, counted as `overflow`.
    public static let dropOldest = OverflowPolicy(kind: .dropOldest)

    /// Lossless between the caller and the sinks: the logging call waits until there is room.
    ///
    /// - Important: The waiting caller parks its thread (the call is synchronous and never awaits).
    ///   The pipeline drains on its own threads, so this cannot deadlock even when every thread of the
    ///   cooperative pool is parked; but a slow sink then slows the whole program down. From async
    ///   code, ``SluiceLogger/send(_:_:metadata:file:function:line:)`` suspends the task instead of
    ///   parking its thread.
    ///
    ///   Two exceptions, both counted, never silent:
    ///   - A call that must not wait drops its record (`dropped.overflow`) when the queue is full: a
    ///     call on one of this pipeline's own threads (a sink that logs into its own pipeline), on a
    ///     thread of another pipeline that waits on this one (which would close a cycle), or on one
    ///     of Sluice's network, archiving or reporting threads. A sink of one pipeline that logs into
    ///     another does wait.
    ///   - A sink that takes no batch for ``DeliveryOptions/stallTimeout`` (5 seconds by default) is
    ///     declared stalled: the batches it cannot take are dropped for that sink
    ///     (`dropped.sinkFailure`, an ``InternalError/Kind/sinkStalled`` report) so the other sinks
    ///     and the callers carry on. For a pipeline where even that is worse than waiting, set
    ///     `stallTimeout: .seconds(Int64.max)`: then a hung sink holds up every sink and, once the
    ///     queue is full, every caller, and nothing is dropped.
    public static let block = OverflowPolicy(kind: .block)

    /// Waits for room like ``block``, but at most `timeout`; then drops the record, counted with
    /// reason `timedOut` (Go's `WriteLog` waits 100 ms the same way). Records are never evicted, so
    /// what is queued keeps its order and nothing already accepted is lost.
    ///
    /// ```swift
    /// let queue = QueueOptions(capacity: 8_192, overflow: .block(timeout: .milliseconds(100)))
    /// if case .dropped(let reason) = log.submit(.info, "payment accepted") { audit.fallback(reason) }
    /// ```
    ///
    /// - Parameter timeout: The longest one call waits; must be positive.
    /// - Returns: The policy.
    public static func block(timeout: Duration) -> OverflowPolicy {
        OverflowPolicy(kind: .blockUpTo(timeout))
    }

    /// Whether a call that finds the queue full waits for room (``block`` and ``block(timeout:)``).
    package var waitsForRoom: Bool {
        switch kind {
        case .block, .blockUpTo: true
        case .dropNewest, .dropOldest: false
        }
    }

    /// The longest a call waits for room, for ``block(timeout:)``.
    package var waitTimeout: Duration? {
        if case .blockUpTo(let timeout) = kind { return timeout }
        return nil
    }

    public var description: String {
        switch kind {
        case .dropNewest: "dropNewest"
        case .dropOldest: "dropOldest"
        case .block: "block"
        case .blockUpTo(let timeout): "block(timeout: \(timeout.readable))"
        }
    }
}
