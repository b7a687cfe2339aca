/// A summary a readiness or liveness probe can use.
///
/// ```swift
/// router.get("/ready") { _ in
///     pipeline.health.isReady ? .ok : .serviceUnavailable
/// }
/// ```
public struct PipelineHealth: Sendable, Hashable {
    /// Where the pipeline is in its life.
    public var state: PipelineState
    /// Queue depth divided by capacity, 0...1. Near 1 means records are arriving faster than the
    /// sinks write them.
    public var queueFillRatio: Double
    /// Each sink's condition, in the order the sinks were given.
    public var sinks: [SinkHealth]
    /// Each transformer's condition, in the order given: one that throws is failing (records still
    /// flow; it does not make the pipeline unready).
    public var stages: [StageHealth] = []

    /// True when the pipeline is running, its queue is not full and no sink is stalled or closed.
    /// A failing sink (for example a full disk) does not make the pipeline unready: records still
    /// reach the other sinks and failures are counted.
    public var isReady: Bool {
        state == .running && queueFillRatio < 1
            && sinks.allSatisfy { sink in
                switch sink.status {
                case .healthy, .failing: true
                case .stalled, .closed: false
                }
            }
    }
}
