/// One sink's part of ``PipelineHealth``.
public struct SinkHealth: Sendable, Hashable {
    /// The sink's name.
    public var name: String
    /// The sink's condition.
    public var status: SinkStatus

    /// Creates a sink health entry.
    public init(name: String, status: SinkStatus) {
        self.name = name
        self.status = status
    }
}
