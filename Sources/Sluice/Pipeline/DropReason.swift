/// Why a record was dropped: the reasons ``DropCounts`` counts, as ``LogSubmission`` reports them
/// to the call that logged the record.
///
/// ```swift
/// if log.submit(.warning, "disk almost full") == .dropped(.timedOut) { fallbackAlert() }
/// ```
public struct DropReason: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case overflow
        case timedOut
        case cancelled
        case shutdown
        case afterShutdown
    }

    package let kind: Kind

    /// The queue was full and the overflow policy dropped it (``DropCounts/overflow``).
    public static let overflow = DropReason(kind: .overflow)
    /// It waited for room under ``OverflowPolicy/block(timeout:)`` until the timeout passed
    /// (``DropCounts/timedOut``).
    public static let timedOut = DropReason(kind: .timedOut)
    /// The task waiting for room was cancelled (``DropCounts/cancelled``).
    public static let cancelled = DropReason(kind: .cancelled)
    /// The pipeline was shutting down (``DropCounts/shutdown``).
    public static let shutdown = DropReason(kind: .shutdown)
    /// The pipeline had shut down already (``DropCounts/afterShutdown``; not a loss).
    public static let afterShutdown = DropReason(kind: .afterShutdown)

    public var description: String {
        switch kind {
        case .overflow: "overflow"
        case .timedOut: "timed out"
        case .cancelled: "cancelled"
        case .shutdown: "shutdown"
        case .afterShutdown: "after shutdown"
        }
    }
}
