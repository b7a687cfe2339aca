#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant with nanosecond resolution, taken when a record is logged.
///
/// Stored as nanoseconds since the Unix epoch (UTC), which covers the years 1678 to 2262.
///
/// ```swift
/// let now = LogTimestamp.now()
/// print(now)                        // 2026-11-23T12:00:00.123456789Z
/// let date = now.date               // Foundation.Date
/// ```
public struct LogTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    /// Creates a timestamp from nanoseconds since the Unix epoch.
    ///
    /// - Parameter nanosecondsSinceEpoch: Nanoseconds since 1970-01-01T00:00:00Z.
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// The current wall-clock time (`clock_gettime(CLOCK_REALTIME)`, about 20 ns).
    public static func now() -> LogTimestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return LogTimestamp(nanosecondsSinceEpoch: Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec))
    }

    /// Whole seconds since the epoch (rounded down, also before 1970).
    public var secondsSinceEpoch: Int64 {
        // Floor division that cannot overflow, even at Int64.min.
        let quotient = nanosecondsSinceEpoch / 1_000_000_000
        return nanosecondsSinceEpoch % 1_000_000_000 < 0 ? quotient - 1 : quotient
    }

    /// The nanoseconds within the second, `0..<1_000_000_000`.
    public var nanosecondOfSecond: Int64 {
        let remainder = nanosecondsSinceEpoch % 1_000_000_000
        return remainder < 0 ? remainder + 1_000_000_000 : remainder
    }

    public static func < (lhs: LogTimestamp, rhs: LogTimestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// RFC 3339 in UTC with nanoseconds, e.g. `2026-11-23T12:00:00.123456789Z`.
    public var description: String {
        var output = LogOutput()
        output.appendTimestamp(self, fractionDigits: 9)
        return output.string
    }
}
