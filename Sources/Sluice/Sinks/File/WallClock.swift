#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock a file sink reads for time rotation, archive names and retention by age.
///
/// Production uses the system clock; tests pass a manual one they advance themselves.
package struct WallClock: Sendable {
    /// The current time.
    package var now: @Sendable () -> LogTimestamp
    /// The local time zone's offset from UTC, in seconds, at a given second since the epoch.
    package var utcOffset: @Sendable (Int64) -> Int64
    /// Monotonic nanoseconds: time that passed, whatever the wall clock did (to notice its steps).
    package var monotonic: @Sendable () -> UInt64

    package init(
        now: @escaping @Sendable () -> LogTimestamp,
        utcOffset: @escaping @Sendable (Int64) -> Int64,
        monotonic: @escaping @Sendable () -> UInt64 = { MonotonicTime.nanoseconds() }
    ) {
        self.now = now
        self.utcOffset = utcOffset
        self.monotonic = monotonic
    }

    /// `CLOCK_REALTIME` and the process's time zone (`localtime_r`).
    package static let system = WallClock(
        now: { LogTimestamp.now() },
        utcOffset: { seconds in
            var time = time_t(seconds)
            var parts = tm()
            guard localtime_r(&time, &parts) != nil else { return 0 }
            return Int64(parts.tm_gmtoff)
        }
    )
}
