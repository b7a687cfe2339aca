/// Whether a ``FileSink`` compresses the files it rotates out.
///
/// ```swift
/// let rotation = RotationPolicy(trigger: .daily, compression: .gzip)
/// ```
///
/// Compression runs on a background thread the sink owns, never on the write path and never on
/// Swift's cooperative pool. It is crash safe: the compressed data goes to `<archive>.gz.tmp`, is
/// `fsync`ed and renamed to `<archive>.gz`, and only then is the uncompressed archive deleted. An
/// archive left uncompressed by a crash or an error is compressed at the next start or rotation.
public struct ArchiveCompression: Sendable, Hashable, CustomStringConvertible {
    /// The zlib level (1...9), or `nil` for no compression.
    package let gzipLevel: Int32?

    /// Keep archives as they are.
    public static let disabled = ArchiveCompression(gzipLevel: nil)

    /// gzip (zlib's default level, 6), readable by `gzip -d`, `zcat` and `zgrep`.
    public static let gzip = ArchiveCompression(gzipLevel: 6)

    /// gzip at a chosen level.
    ///
    /// - Parameter level: 1 (fastest) to 9 (smallest); clamped to that range.
    /// - Returns: The compression.
    public static func gzip(level: Int) -> ArchiveCompression {
        ArchiveCompression(gzipLevel: Int32(min(max(level, 1), 9)))
    }

    public var description: String {
        gzipLevel.map { "gzip(level: \($0))" } ?? "disabled"
    }
}
