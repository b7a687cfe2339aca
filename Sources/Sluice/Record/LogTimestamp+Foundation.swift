#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension LogTimestamp {
    /// The timestamp as a Foundation `Date` (which keeps about microsecond precision).
    public var date: Date {
        Date(timeIntervalSince1970: Double(secondsSinceEpoch) + Double(nanosecondOfSecond) / 1e9)
    }

    /// Creates a timestamp from a Foundation `Date`.
    ///
    /// Dates outside the range a `LogTimestamp` holds (1677-09-21 to 2262-04-11, such as
    /// `Date.distantFuture`) are clamped to its ends; a NaN date becomes the epoch.
    ///
    /// - Parameter date: The instant.
    public init(_ date: Date) {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else {
            self.init(nanosecondsSinceEpoch: seconds.isNaN ? 0 : seconds > 0 ? .max : .min)
            return
        }
        let whole = seconds.rounded(.down)
        let fraction = Int64(((seconds - whole) * 1e9).rounded())
        // ±1e10 s is beyond what Int64 nanoseconds hold, so the clamp below still saturates.
        self.init(clampingSeconds: Int64(min(max(whole, -1e10), 1e10)), nanoseconds: fraction)
    }
}
