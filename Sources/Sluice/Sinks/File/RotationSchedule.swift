/// Decides when a file rotates, with time as an input: a plain struct tested without files or clocks.
///
/// The sink asks ``check(now:fileSize:lineLength:)`` before each record it writes; the answer says
/// whether to rotate first and which instant the archive is named after (the boundary for a time
/// rotation, the current time for a size rotation).
package struct RotationSchedule {
    package enum Decision: Equatable {
        case keep
        case rotate(archiveTime: LogTimestamp)
    }

    package let maxBytes: Int64?
    package let period: Int64?
    private let utcOffset: ((Int64) -> Int64)?
    /// The next time boundary, in seconds since the epoch.
    package private(set) var nextBoundary: Int64?
    /// After a failed rotation, no new attempt before this instant.
    package private(set) var retryAfter: LogTimestamp?
    private var failedAttempts = 0

    /// - Parameters:
    ///   - trigger: Size and/or period.
    ///   - utcOffset: The local offset at an instant, or `nil` for UTC boundaries.
    package init(trigger: RotationTrigger, utcOffset: ((Int64) -> Int64)?) {
        maxBytes = trigger.maxBytes
        period = trigger.period?.rawValue
        self.utcOffset = utcOffset
    }

    package var rotates: Bool { maxBytes != nil || period != nil }

    /// A file was opened (or a rotation done) at `now`: the next boundary is the first after it.
    package mutating func fileOpened(now: LogTimestamp) {
        nextBoundary = period.map { boundary(after: now.secondsSinceEpoch, period: $0) }
        retryAfter = nil
        failedAttempts = 0
    }

    /// Whether to rotate before writing a line of `lineLength` bytes to a file holding `fileSize`.
    package mutating func check(now: LogTimestamp, fileSize: Int64, lineLength: Int) -> Decision {
        if let retryAfter, now < retryAfter {
            return .keep
        }
        if let boundary = nextBoundary, let period,
            boundary.saturatingSubtract(now.secondsSinceEpoch) > period + 7_200
        {
            // The boundary lies further ahead than one period (and a daylight-saving hour) can
            // put it: the wall clock stepped back after the file was opened. Without this, a step
            // forward and back would stop time rotation until the clock reached the far boundary.
            nextBoundary = self.boundary(after: now.secondsSinceEpoch, period: period)
        }
        if let nextBoundary, now.secondsSinceEpoch >= nextBoundary {
            guard fileSize > 0 else {
                // Nothing to archive: start the new period with the same (empty) file.
                self.nextBoundary = period.map { boundary(after: now.secondsSinceEpoch, period: $0) }
                return .keep
            }
            return .rotate(archiveTime: LogTimestamp(clampingSeconds: nextBoundary, nanoseconds: 0))
        }
        if let maxBytes, fileSize > 0, fileSize.saturatingAdd(Int64(lineLength)) > maxBytes {
            return .rotate(archiveTime: now)
        }
        return .keep
    }

    /// A rotation failed at `now`: try again after a pause (1 s doubling to 5 min) rather than
    /// before every record.
    package mutating func rotationFailed(now: LogTimestamp) {
        failedAttempts += 1
        let seconds = Int64(1) << Int64(min(failedAttempts - 1, 8))
        retryAfter = LogTimestamp(
            nanosecondsSinceEpoch: now.nanosecondsSinceEpoch.saturatingAdd(min(seconds, 300) * 1_000_000_000))
    }

    /// The first boundary of `period` strictly after `seconds`, in UTC or local time: the first
    /// instant at which the local clock shows a whole hour (or midnight), or jumps across one.
    package func boundary(after seconds: Int64, period: Int64) -> Int64 {
        guard let utcOffset else {
            return Self.floor(seconds, period) + period
        }
        func local(_ instant: Int64) -> Int64 { instant + utcOffset(instant) }
        func isBoundary(_ instant: Int64) -> Bool {
            let now = local(instant)
            // On a whole period, or a daylight-saving jump forward across one (Chile: 24:00 -> 01:00).
            return Self.floor(now, period) == now || Self.floor(now, period) > Self.floor(local(instant - 1), period)
        }
        // The next boundary on the local clock, converted back with the offset in force before and
        // after it (they differ across a daylight-saving change); each candidate is checked, since
        // where the change falls on the boundary itself only one of them is right.
        let nextLocal = Self.floor(local(seconds), period) + period
        let first = nextLocal - utcOffset(seconds)
        let second = nextLocal - utcOffset(first)
        if let candidate = [first, second].filter({ $0 > seconds && isBoundary($0) }).min() {
            return candidate
        }
        // A zone stranger than that: walk minute by minute (offsets change on whole minutes).
        var instant = Self.floor(seconds, 60) + 60
        while instant <= seconds + period + 7_200 {
            if isBoundary(instant) {
                return instant
            }
            instant += 60
        }
        return Self.floor(seconds, period) + period
    }

    private static func floor(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && value < 0 ? quotient - 1 : quotient) * divisor
    }
}
