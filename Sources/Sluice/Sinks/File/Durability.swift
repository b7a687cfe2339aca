/// How far a ``FileSink`` pushes records towards the disk before they count as written.
///
/// ```swift
/// let file = try FileSink(path: "logs/app.log", durability: .flushEvery(.milliseconds(100)))
/// ```
///
/// Every policy hands each batch to the operating system with `write(2)` before the batch counts as
/// written, so **a crash of the process never loses a written record**. They differ in what survives
/// a **power loss or kernel crash**, which depends on when the data is `fdatasync`ed to the disk:
///
/// | Policy | `fdatasync` | A power loss can lose |
/// |---|---|---|
/// | ``noSync`` | at rotation and close only | what the kernel had not written back (on Linux typically up to 30 s) |
/// | ``flushEvery(_:)`` | at most `interval` after a write, and on flush | about the last `interval` |
/// | ``fsyncOnFlush`` | on every `pipeline.flush()`, rotation and close | everything since the last completed flush |
/// | ``fsyncEveryBatch`` | after every batch, before it counts as written | nothing that was counted as written |
///
/// **A failed `fdatasync`** (an I/O error during write-back) is never retried as if nothing had
/// happened: Linux marks the pages clean and reports the error once, so a second call succeeds
/// although the data never reached the disk. Under ``fsyncEveryBatch`` the sink cuts the file back to
/// where the batch began, writes the batch again and syncs again (with the failure policy's retries);
/// only then does the batch count as written, and if the file cannot be cut back the batch counts as
/// dropped. Under the other policies the failure is counted (``FileSinkStats/syncFailures``) and
/// reported: what was written since the last successful sync may be missing from the disk after a
/// power loss, as those policies allow.
///
/// `SQLiteSink` (product `SluiceSQLite`) takes the same policies and maps them onto SQLite's
/// `synchronous=NORMAL` and commits with `synchronous=FULL`, with the same promises.
public struct Durability: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case noSync
        case interval(Duration)
        case onFlush
        case everyBatch
    }

    package let kind: Kind

    /// Never `fdatasync` except at rotation and close: the fastest; survives a process crash, not a
    /// power loss.
    public static let noSync = Durability(kind: .noSync)

    /// `fdatasync` at most `interval` after data was written (a timer covers an idle sink), and on
    /// every flush. The default is one second.
    ///
    /// - Parameter interval: The longest written data stays unsynced; clamped to at least 1 ms.
    /// - Returns: The policy.
    public static func flushEvery(_ interval: Duration) -> Durability {
        Durability(kind: .interval(max(interval, .milliseconds(1))))
    }

    /// `fdatasync` on every `pipeline.flush()`, rotation and close.
    public static let fsyncOnFlush = Durability(kind: .onFlush)

    /// `fdatasync` after every batch before it counts as written: the safest and the slowest (one
    /// disk round trip per batch).
    public static let fsyncEveryBatch = Durability(kind: .everyBatch)

    public var description: String {
        switch kind {
        case .noSync: "noSync"
        case .interval(let interval): "flushEvery(\(interval))"
        case .onFlush: "fsyncOnFlush"
        case .everyBatch: "fsyncEveryBatch"
        }
    }
}
