/// A limit on how many records one call site (or one label) may log per interval: rsyslog's
/// "interval and burst" limiting, at the call.
///
/// Time is cut into fixed windows of ``interval``; in each, the first ``records`` calls from a key
/// are logged and the rest are suppressed before their message is even built (a few nanoseconds
/// each). When a window ends with suppressed calls, the pipeline writes one summary record for the
/// key, at the level and label of its records and with its source location:
///
/// ```
/// WARNING  api: rate limit: 12345 records suppressed from Handlers/Orders.swift:88 between
///          2026-11-30T10:00:01.000000Z and 2026-11-30T10:00:02.000000Z (limit 100 per 1 s)
///          suppressed=12345 limit=100 interval_seconds=1.0 ...
/// ```
///
/// so the log itself shows the gap, and the counts of the summaries add up to
/// ``FilterCounts/rateLimited`` exactly. A call site is a file and line; loggers with different
/// labels at one call site are limited separately.
///
/// ```swift
/// let limit = RateLimit.perCallSite(100, per: .seconds(1))
/// let errorsAlwaysThrough = RateLimit.perCallSite(100, per: .seconds(1), exempting: .error)
/// let perLabel = RateLimit.perLabel(10_000, per: .seconds(1))
/// ```
///
/// A pipeline tracks up to ``RateLimit/maximumKeys`` keys; calls from keys beyond that are not
/// limited.
public struct RateLimit: Sendable, Hashable {
    /// What a limit counts by.
    public enum Key: Sendable, Hashable {
        /// Each call site (file and line) with its logger's label.
        case callSite
        /// Each label.
        case label
    }

    /// The most keys one pipeline tracks.
    public static let maximumKeys = 4_096

    /// Records allowed per key per window.
    public var records: Int
    /// The window.
    public var interval: Duration
    /// What the limit counts by.
    public var key: Key
    /// Records at or above this level are never limited; `nil` (the default) limits every level.
    public var exemptLevel: LogLevel?

    /// Creates a rate limit.
    ///
    /// - Parameters:
    ///   - records: Records allowed per key per window; at least 1.
    ///   - interval: The window; at least 1 ms (one timer on the pipeline's collector thread fires
    ///     per window).
    ///   - key: What the limit counts by.
    ///   - exemptLevel: Records at or above this level are never limited; default none.
    public init(records: Int, per interval: Duration, key: Key, exempting exemptLevel: LogLevel? = nil) {
        self.records = records
        self.interval = interval
        self.key = key
        self.exemptLevel = exemptLevel
    }

    /// At most `records` per call site per `interval`.
    ///
    /// - Parameters:
    ///   - records: Records allowed per call site per window.
    ///   - interval: The window; default 1 second.
    ///   - exemptLevel: Records at or above this level are never limited; default none.
    /// - Returns: The limit.
    public static func perCallSite(
        _ records: Int, per interval: Duration = .seconds(1), exempting exemptLevel: LogLevel? = nil
    ) -> RateLimit {
        RateLimit(records: records, per: interval, key: .callSite, exempting: exemptLevel)
    }

    /// At most `records` per label per `interval`.
    ///
    /// - Parameters:
    ///   - records: Records allowed per label per window.
    ///   - interval: The window; default 1 second.
    ///   - exemptLevel: Records at or above this level are never limited; default none.
    /// - Returns: The limit.
    public static func perLabel(
        _ records: Int, per interval: Duration = .seconds(1), exempting exemptLevel: LogLevel? = nil
    ) -> RateLimit {
        RateLimit(records: records, per: interval, key: .label, exempting: exemptLevel)
    }

    package func validate() throws(SluiceError) {
        guard records >= 1 else {
            throw SluiceError(
                .invalidConfiguration, "rate limit allows \(records) records per window; allow at least 1")
        }
        guard records < 1 << 39 else {
            throw SluiceError(
                .invalidConfiguration, "rate limit allows \(records) records per window; allow fewer than 2^39")
        }
        guard interval >= .milliseconds(1) else {
            throw SluiceError(
                .invalidConfiguration,
                "rate limit interval is \(interval); use at least 1 millisecond (1 second is usual)")
        }
    }
}
