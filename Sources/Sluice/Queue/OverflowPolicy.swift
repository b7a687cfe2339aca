/// What the queue does with a record when it is full.
///
/// ```swift
/// let pipeline = try LogPipeline(sinks: [ConsoleSink()], queue: .init(capacity: 65_536, overflow: .dropOldest))
/// ```
///
/// Under the dropping policies, records at or above ``QueueOptions/protectedLevel`` (default `error`)
/// are discarded only when nothing below that level is left to discard, so a flood of debug records
/// cannot push an error out. Every discarded record is counted as dropped with reason `overflow`.
public struct OverflowPolicy: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case dropNewest
        case dropOldest
        case block
    }

    package let kind: Kind

    /// Discard the record being logged (keep what is queued).
    public static let dropNewest = OverflowPolicy(kind: .dropNewest)

    /// Discard the oldest queued record to make room (keep the most recent history).
    public static let dropOldest = OverflowPolicy(kind: .dropOldest)

    /// Lossless between the caller and the sinks: the logging call waits until there is room.
    ///
    /// - Important: The waiting caller parks its thread (the call is synchronous and never awaits).
    ///   The pipeline drains on its own threads, so this cannot deadlock even when every thread of the
    ///   cooperative pool is parked; but a slow sink then slows the whole program down.
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

    public var description: String {
        switch kind {
        case .dropNewest: "dropNewest"
        case .dropOldest: "dropOldest"
        case .block: "block"
        }
    }
}
