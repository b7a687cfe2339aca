/// How a ``FileSink`` rotates, keeps and compresses its files.
///
/// ```swift
/// let rotation = RotationPolicy(
///     trigger: .size(megabytes: 50).or(.daily),
///     keep: [.files(10), .age(days: 14)],
///     compression: .gzip
/// )
/// let file = try FileSink(path: "/var/log/myapp/app.log", format: .json, rotation: rotation)
/// ```
///
/// A rotation flushes the file, renames it to `<stem>.<UTC time>[.<extension>]` (for `app.log`:
/// `app.2026-11-23T12-00-00.000000Z.log`), opens a new file at the path and `fsync`s the directory.
/// Compression and retention then run in the background. See `Documentation/Operations.md` for why
/// archives carry a timestamp rather than a number.
public struct RotationPolicy: Sendable, Hashable {
    /// When to start a new file.
    public var trigger: RotationTrigger
    /// Which archives to keep.
    public var keep: RetentionPolicy
    /// Whether to gzip archives.
    public var compression: ArchiveCompression
    /// Whose midnights and hours a time trigger follows.
    public var timeZone: RotationTimeZone

    /// No rotation: the file grows until something else (such as `logrotate`) moves it.
    public static let never = RotationPolicy(trigger: .never)

    /// Creates a rotation policy.
    ///
    /// - Parameters:
    ///   - trigger: When to start a new file; e.g. `.size(megabytes: 50)`, `.daily`, `.hourly`.
    ///   - keep: Which archives to keep; default ``RetentionPolicy/everything``.
    ///   - compression: ``ArchiveCompression/gzip`` or ``ArchiveCompression/disabled`` (the default).
    ///   - timeZone: ``RotationTimeZone/utc`` (the default) or ``RotationTimeZone/local``.
    public init(
        trigger: RotationTrigger,
        keep: RetentionPolicy = .everything,
        compression: ArchiveCompression = .disabled,
        timeZone: RotationTimeZone = .utc
    ) {
        self.trigger = trigger
        self.keep = keep
        self.compression = compression
        self.timeZone = timeZone
    }
}
