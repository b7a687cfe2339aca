/// Which batch a network sink drops when its buffer of pending batches is full.
///
/// ```swift
/// let retry = RetryOptions(maxPendingBatches: 16, overflow: .dropNewest)
/// ```
public struct PendingOverflow: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case dropOldest
        case dropNewest
    }

    package let kind: Kind

    /// Drop the oldest batch not being sent right now, keeping the newest records.
    public static let dropOldest = PendingOverflow(kind: .dropOldest)
    /// Drop the batch that just arrived, keeping the oldest records.
    public static let dropNewest = PendingOverflow(kind: .dropNewest)

    public var description: String {
        switch kind {
        case .dropOldest: "dropOldest"
        case .dropNewest: "dropNewest"
        }
    }
}
