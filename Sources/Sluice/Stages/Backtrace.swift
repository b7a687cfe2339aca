/// Keeps the debug records a pipeline would otherwise discard (below the sinks' levels) in small
/// rings, one per label or per request, and writes a ring out when an error is logged there:
/// spdlog's `enable_backtrace`, per key.
///
/// With a backtrace on, calls at ``level`` and above reach the pipeline even where the label's level
/// or the sinks' levels are higher (each costs an enabled call, about as much as any record). Those
/// below the sinks' levels wait in their key's ring of ``capacity`` records (the oldest goes when
/// it is full). When a record at ``trigger`` or above is logged with the same key, the ring's records
/// are written just before it, in order, each with `backtrace=true` in its metadata, to the sinks
/// that take the error; then the ring is empty again.
///
/// ```swift
/// // Per request: keep each request's last 50 debug records, written out if it logs an error.
/// let stages = StageOptions(backtrace: Backtrace(level: .debug, capacity: 50, key: .metadata("request_id")))
/// ```
///
/// Records that leave a ring unwritten (pushed out by newer ones, or still there at shutdown) are
/// counted in ``FilterCounts/backtrace``; those waiting are in flight.
public struct Backtrace: Sendable, Hashable {
    /// What a ring belongs to.
    public enum Key: Sendable, Hashable {
        /// The record's label.
        case label
        /// The string or integer value of a metadata key (call site, logger or ``LogContext``, in
        /// that precedence), e.g. `"request_id"`; records without it use their label.
        case metadata(String)
    }

    /// The lowest level kept; default `.debug`.
    public var level: LogLevel
    /// The lowest level that writes a ring out; default `.error`.
    public var trigger: LogLevel
    /// Records per ring; default 32.
    public var capacity: Int
    /// What a ring belongs to; default ``Key/label``.
    public var key: Key
    /// The most rings kept at once; the least recently used goes first. Default 256.
    public var maximumRings: Int
    /// Records larger than this (encoded, in bytes) are not kept; default 16 KiB.
    public var maximumRecordBytes: Int

    /// Creates a backtrace.
    ///
    /// - Parameters:
    ///   - level: The lowest level kept; default `.debug`.
    ///   - trigger: The lowest level that writes a ring out; default `.error`.
    ///   - capacity: Records per ring; default 32.
    ///   - key: What a ring belongs to; default ``Key/label``.
    ///   - maximumRings: The most rings at once; default 256.
    ///   - maximumRecordBytes: Larger records are not kept; default 16 KiB.
    public init(
        level: LogLevel = .debug,
        trigger: LogLevel = .error,
        capacity: Int = 32,
        key: Key = .label,
        maximumRings: Int = 256,
        maximumRecordBytes: Int = 16 * 1024
    ) {
        self.level = level
        self.trigger = trigger
        self.capacity = capacity
        self.key = key
        self.maximumRings = maximumRings
        self.maximumRecordBytes = maximumRecordBytes
    }

    package func validate() throws(SluiceError) {
        func fail(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, message)
        }
        guard capacity >= 1 && capacity <= 4_096 else {
            throw fail("backtrace capacity is \(capacity); use 1 to 4,096 records per ring (32 is a good default)")
        }
        guard maximumRings >= 1 && maximumRings <= 65_536 else {
            throw fail("backtrace maximumRings is \(maximumRings); use 1 to 65,536 (256 is a good default)")
        }
        guard maximumRecordBytes >= 256 else {
            throw fail(
                "backtrace maximumRecordBytes is \(maximumRecordBytes); use at least 256 (16 KiB is a good default)")
        }
        guard trigger > level else {
            throw fail(
                "backtrace trigger (\(trigger)) must be above the level it keeps (\(level)), e.g. keep debug, trigger on error"
            )
        }
        if case .metadata(let name) = key, name.isEmpty {
            throw fail("backtrace key names an empty metadata key; name one such as \"request_id\"")
        }
    }
}
