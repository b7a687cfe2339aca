/// What happened to the record of one call to ``SluiceLogger/submit(_:_:metadata:file:function:line:)``
/// or ``SluiceLogger/send(_:_:metadata:file:function:line:)``: for code that must know.
///
/// ```swift
/// switch log.submit(.info, "payment \(id) accepted") {
/// case .queued: break
/// case .belowLevel, .filtered: break
/// case .dropped(let reason): audit.record(id, loggingFailed: reason)
/// }
/// ```
public enum LogSubmission: Sendable, Hashable, CustomStringConvertible {
    /// The pipeline took the record: it will be written, or counted in ``PipelineStats/dropped`` if
    /// every sink fails (or in ``PipelineStats/filtered`` if a stage in the pipeline removes it, or a
    /// ``Backtrace`` that holds it never writes it out). (In ``ExecutionMode/synchronous`` mode the built-in sinks have written it
    /// by the time the call returns.)
    case queued
    /// The level is below the logger's threshold: nothing was evaluated or counted.
    case belowLevel
    /// A stage that decides at the call (a ``SamplingRule`` or the ``RateLimit``) left the record
    /// out, by design and counted in ``PipelineStats/filtered``; nothing was evaluated.
    case filtered
    /// The record was dropped, and counted under this reason.
    case dropped(DropReason)

    public var description: String {
        switch self {
        case .queued: "queued"
        case .belowLevel: "below level"
        case .filtered: "filtered"
        case .dropped(let reason): "dropped (\(reason))"
        }
    }
}

extension LogSubmission {
    package init(_ outcome: PipelineStorage.SubmitOutcome) {
        switch outcome {
        case .queued:
            self = .queued
        case .dropped(let reason):
            self = .dropped(reason)
        case .mustWait:
            preconditionFailure("internal inconsistency: a finished call still waiting for room")
        }
    }
}
