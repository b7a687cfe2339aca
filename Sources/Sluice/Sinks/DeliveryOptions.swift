/// How batches reach the sinks: each sink's inbox size and when a slow sink counts as stalled.
///
/// Every sink has its own bounded inbox and its own thread, so one slow or hung sink cannot stop the
/// others for long. When a sink's inbox is full the collector waits for it up to ``stallTimeout``
/// (during which the queue's overflow policy applies as usual); after that the sink is marked
/// stalled and batches it cannot take are dropped and counted for that sink (reason `sinkFailure`)
/// until it catches up. This holds under ``OverflowPolicy/block`` too: the one place where `block`
/// drops for a sink that is merely slow. A `stallTimeout` of `.seconds(Int64.max)` never gives up
/// on a sink (a hung sink then holds up the others and, once the queue is full, the callers).
///
/// ```swift
/// let delivery = DeliveryOptions(inboxCapacity: 8, stallTimeout: .seconds(5))
/// ```
public struct DeliveryOptions: Sendable, Hashable {
    /// Batches each sink's inbox holds.
    public var inboxCapacity: Int
    /// How long the collector waits for a sink with a full inbox before dropping for it.
    public var stallTimeout: Duration

    /// Creates delivery options.
    ///
    /// - Parameters:
    ///   - inboxCapacity: Batches per sink inbox; default 8.
    ///   - stallTimeout: Wait for a full inbox before dropping; default 5 seconds.
    public init(inboxCapacity: Int = 8, stallTimeout: Duration = .seconds(5)) {
        self.inboxCapacity = inboxCapacity
        self.stallTimeout = stallTimeout
    }
}
