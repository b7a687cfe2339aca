/// One sink's part of ``PipelineHealth``.
public struct SinkHealth: Sendable, Hashable {
    /// The sink's name.
    public var name: String
    /// The sink's condition.
    public var status: SinkStatus
}
