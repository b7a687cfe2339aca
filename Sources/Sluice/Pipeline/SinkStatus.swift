/// A sink's condition, for health checks.
///
/// ```swift
/// for sink in pipeline.health.sinks where sink.status != .healthy {
///     print("\(sink.name) is \(sink.status)")
/// }
/// ```
public enum SinkStatus: Sendable, Hashable, CustomStringConvertible {
    /// Writing normally (or idle).
    case healthy
    /// The last write, flush or close failed; `consecutiveFailures` in a row so far.
    case failing(consecutiveFailures: Int)
    /// The sink has not finished an operation within the stall timeout, or its inbox stayed full that
    /// long; its batches are being dropped until it catches up.
    case stalled
    /// The sink was closed by shutdown.
    case closed

    public var description: String {
        switch self {
        case .healthy: "healthy"
        case .failing(let count): "failing (\(count) in a row)"
        case .stalled: "stalled"
        case .closed: "closed"
        }
    }
}
