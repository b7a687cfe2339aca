/// The "now" that retention by age measures archives against, guarded against wall-clock steps: a
/// plain state machine with the wall and the monotonic clock as inputs.
///
/// A wall clock stepped forward by years (a bad RTC, a wrong NTP answer) would make every archive
/// look expired, and `.age` retention would delete them all in one sweep. So the wall clock is
/// compared with the monotonic clock since the last sweep: when it ran ahead by more than drift can
/// explain, the jump is not trusted (the reference advances with the monotonic clock instead) until
/// it has held for ``trustAfter`` of monotonic time (a genuine correction, such as NTP's first sync
/// after boot, then takes effect a day late). A step backwards is followed at once: it can only make
/// archives look younger, so it never deletes more.
package struct RetentionClock: Sendable, Equatable {
    /// How long a forward step must hold before age retention believes it.
    package static let trustAfter: Int64 = 86_400 * 1_000_000_000

    private var anchorWall: Int64
    private var anchorMonotonic: UInt64
    /// When (monotonic) the current forward step was first seen.
    private var stepSeenAt: UInt64?

    package init(wall: LogTimestamp, monotonic: UInt64) {
        anchorWall = wall.nanosecondsSinceEpoch
        anchorMonotonic = monotonic
    }

    /// The time to apply age limits at, for a sweep now.
    package mutating func reference(wall: LogTimestamp, monotonic: UInt64) -> LogTimestamp {
        let elapsed = Int64(clamping: monotonic &- anchorMonotonic)
        let expected = anchorWall.saturatingAdd(monotonic >= anchorMonotonic ? elapsed : 0)
        // Clocks drift apart by well under 0.1 %; NTP slews by at most 0.05 %.
        let tolerance = Int64(60_000_000_000).saturatingAdd(elapsed / 1_000)
        if wall.nanosecondsSinceEpoch <= expected.saturatingAdd(tolerance) {
            anchorWall = wall.nanosecondsSinceEpoch
            anchorMonotonic = monotonic
            stepSeenAt = nil
            return wall
        }
        let seen = stepSeenAt ?? monotonic
        stepSeenAt = seen
        if monotonic >= seen && Int64(clamping: monotonic - seen) >= Self.trustAfter {
            anchorWall = wall.nanosecondsSinceEpoch
            anchorMonotonic = monotonic
            stepSeenAt = nil
            return wall
        }
        return LogTimestamp(nanosecondsSinceEpoch: expected)
    }
}
