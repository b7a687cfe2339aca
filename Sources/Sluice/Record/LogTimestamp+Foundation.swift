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
    /// - Parameter date: The instant.
    public init(_ date: Date) {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        self.init(nanosecondsSinceEpoch: Int64(whole) * 1_000_000_000 + Int64(((seconds - whole) * 1e9).rounded()))
    }
}
