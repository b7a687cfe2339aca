/// Where a pipeline is in its life.
public enum PipelineState: Sendable, Hashable, CustomStringConvertible {
    /// Accepting and writing records.
    case running
    /// Shutdown began: no new records are accepted; queued ones are being written.
    case draining
    /// Shut down: sinks are closed (or abandoned at the deadline).
    case stopped

    public var description: String {
        switch self {
        case .running: "running"
        case .draining: "draining"
        case .stopped: "stopped"
        }
    }
}
