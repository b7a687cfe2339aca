/// Collapses identical consecutive records, the way syslog daemons write "last message repeated
/// N times".
///
/// A record is identical to the one before it (in the pipeline's order) when its level, label,
/// message and metadata are; time, sequence and source location do not count. The first record of
/// a run is written as usual; its repeats within ``window`` of it are held back, and when the run
/// ends (a different record arrives, the window passes, or on `flush()` and shutdown) the pipeline
/// writes, as rsyslog does, the repeat itself if there was one, or one record
///
/// ```
/// 2026-11-30T10:00:04.000000Z ERROR    db: last message repeated 12 times
/// ```
///
/// with the repeated record's level, label and source location and the time of the last repeat.
/// Repeats are counted in ``FilterCounts/deduplicated``, the summary in
/// ``PipelineStats/generated``.
///
/// ```swift
/// let stages = StageOptions(deduplication: Deduplication(window: .seconds(30)))
/// ```
public struct Deduplication: Sendable, Hashable {
    /// How long after the first record of a run its repeats are collapsed; a repeat after that starts
    /// a new run.
    public var window: Duration

    /// Creates a deduplication.
    ///
    /// - Parameter window: How long repeats are collapsed; default 30 seconds (sysklogd's first
    ///   repeat interval).
    public init(window: Duration = .seconds(30)) {
        self.window = window
    }
}
