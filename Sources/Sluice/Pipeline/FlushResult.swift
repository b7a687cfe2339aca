/// How a flush ended.
///
/// ```swift
/// switch await pipeline.flush(timeout: .seconds(2)) {
/// case .completed: break
/// case .timedOut(let pending): print("still waiting for \(pending)")
/// case .failed(let sinks): print("flush failed in \(sinks)")
/// case .cancelled: break
/// }
/// ```
public enum FlushResult: Sendable, Hashable, CustomStringConvertible {
    /// Every record logged before the flush (and not counted as dropped) was written by every sink,
    /// and every sink flushed it to the operating system.
    case completed
    /// At least one sink's `flush()` threw; the error went to the internal-error handler.
    case failed(sinks: [String])
    /// The timeout passed first; these sinks had not finished.
    case timedOut(pendingSinks: [String])
    /// The waiting task was cancelled first; these sinks had not finished.
    case cancelled(pendingSinks: [String])

    /// Whether the flush completed without error.
    public var isCompleted: Bool { self == .completed }

    public var description: String {
        switch self {
        case .completed: "completed"
        case .failed(let sinks): "failed (\(sinks.joined(separator: ", ")))"
        case .timedOut(let sinks): "timed out (waiting for \(sinks.joined(separator: ", ")))"
        case .cancelled(let sinks): "cancelled (waiting for \(sinks.joined(separator: ", ")))"
        }
    }
}
