/// When a ``FileSink`` starts a new file: by size, by the clock, never, or whichever comes first.
///
/// ```swift
/// let trigger: RotationTrigger = .size(megabytes: 50).or(.daily)
/// ```
///
/// Rotation happens between records, so a line is never split across two files. A size trigger
/// rotates before the record that would take the file past the limit; a time trigger rotates at the
/// first write after an hour or day boundary (UTC unless ``RotationPolicy/timeZone`` says
/// otherwise). An empty file is never rotated.
public struct RotationTrigger: Sendable, Hashable, CustomStringConvertible {
    package enum Period: Int64, Sendable, Hashable {
        case hourly = 3_600
        case daily = 86_400
    }

    /// The size limit in bytes, if any.
    package let maxBytes: Int64?
    /// The clock period, if any.
    package let period: Period?

    /// Never rotate.
    public static let never = RotationTrigger(maxBytes: nil, period: nil)

    /// Rotate at every hour boundary.
    public static let hourly = RotationTrigger(maxBytes: nil, period: .hourly)

    /// Rotate at every midnight.
    public static let daily = RotationTrigger(maxBytes: nil, period: .daily)

    /// Rotate before a record would take the file past `bytes`.
    ///
    /// - Parameter bytes: The largest a file may grow, at least 1. A single record longer than the
    ///   limit still goes into a file of its own.
    /// - Returns: The trigger.
    public static func size(bytes: Int) -> RotationTrigger {
        RotationTrigger(maxBytes: Int64(max(bytes, 1)), period: nil)
    }

    /// Rotate before a record would take the file past `megabytes` MiB.
    ///
    /// - Parameter megabytes: The largest a file may grow, in MiB (1,048,576 bytes).
    /// - Returns: The trigger.
    public static func size(megabytes: Int) -> RotationTrigger {
        size(bytes: megabytes.multipliedReportingOverflow(by: 1 << 20).overflow ? .max : megabytes << 20)
    }

    /// Rotates on whichever of the two triggers fires first.
    ///
    /// ```swift
    /// let trigger = RotationTrigger.size(megabytes: 100).or(.hourly)
    /// ```
    ///
    /// - Parameter other: Another trigger.
    /// - Returns: A trigger with the smaller size limit and the shorter period of the two.
    public func or(_ other: RotationTrigger) -> RotationTrigger {
        let bytes: Int64? =
            switch (maxBytes, other.maxBytes) {
            case (let a?, let b?): min(a, b)
            case (let a, let b): a ?? b
            }
        let period: Period? =
            switch (self.period, other.period) {
            case (let a?, let b?): a.rawValue <= b.rawValue ? a : b
            case (let a, let b): a ?? b
            }
        return RotationTrigger(maxBytes: bytes, period: period)
    }

    /// Whether the trigger never fires.
    public var isNever: Bool { maxBytes == nil && period == nil }

    public var description: String {
        var parts: [String] = []
        if let maxBytes {
            parts.append("size(\(maxBytes) bytes)")
        }
        switch period {
        case .hourly: parts.append("hourly")
        case .daily: parts.append("daily")
        case nil: break
        }
        return parts.isEmpty ? "never" : parts.joined(separator: " or ")
    }
}
