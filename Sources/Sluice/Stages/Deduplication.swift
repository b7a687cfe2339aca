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
/// with the repeated record's level, label and source location and the time of the last repeat
/// (``Style/messageRepeated`` writes rsyslog 8's wording instead). Repeats are counted in
/// ``FilterCounts/deduplicated``, the summary in ``PipelineStats/generated``.
///
/// ```swift
/// let stages = StageOptions(deduplication: Deduplication(window: .seconds(30)))
/// ```
public struct Deduplication: Sendable, Hashable {
    /// The wording of the summary.
    public enum Style: Sendable, Hashable {
        /// `last message repeated N times`: sysklogd's and early rsyslog's, what rsyslog's
        /// `pmlastmsg` parser and most log tools recognise.
        case lastMessageRepeated
        /// `message repeated N times: [<message>]`: rsyslog 8's, with at most 800 bytes of the
        /// message.
        case messageRepeated
    }

    /// How long after the first record of a run its repeats are collapsed; a repeat after that starts
    /// a new run.
    public var window: Duration
    /// The wording of the summary; default ``Style/lastMessageRepeated``.
    public var style: Style

    /// Creates a deduplication.
    ///
    /// - Parameters:
    ///   - window: How long repeats are collapsed; default 30 seconds (sysklogd's first repeat
    ///     interval).
    ///   - style: The summary's wording; default `last message repeated N times`.
    public init(window: Duration = .seconds(30), style: Style = .lastMessageRepeated) {
        self.window = window
        self.style = style
    }

    /// The summary's message for a run of `count` repeats of a record with `message`.
    package func summary(count: Int, message: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        switch style {
        case .lastMessageRepeated:
            return Array("last message repeated \(count) times".utf8)
        case .messageRepeated:
            var end = min(message.count, 800)
            // Never cut a character in two.
            while end < message.count && end > 0 && message[end] & 0xC0 == 0x80 {
                end -= 1
            }
            return Array("message repeated \(count) times: [".utf8) + message[0..<end] + [UInt8(ascii: "]")]
        }
    }
}
