/// Which clock's midnights and hours a time ``RotationTrigger`` follows.
///
/// ```swift
/// let rotation = RotationPolicy(trigger: .daily, timeZone: .local)
/// ```
///
/// Archive names always carry the UTC time, so they sort correctly across daylight-saving changes.
public struct RotationTimeZone: Sendable, Hashable, CustomStringConvertible {
    package let isLocal: Bool

    /// Boundaries in UTC (the default).
    public static let utc = RotationTimeZone(isLocal: false)

    /// Boundaries in the process's local time zone (the `TZ` variable or `/etc/localtime`),
    /// following daylight-saving changes.
    public static let local = RotationTimeZone(isLocal: true)

    public var description: String { isLocal ? "local" : "utc" }
}
