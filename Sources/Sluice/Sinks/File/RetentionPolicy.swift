/// Which archives of a ``FileSink`` to keep: by count, total size and age, in any combination.
///
/// ```swift
/// let keep: RetentionPolicy = [.files(10), .bytes(2 << 30), .age(days: 14)]
/// ```
///
/// Retention runs at start-up and after every rotation, in the background. It only ever deletes
/// files that match the sink's own archive naming scheme (`<stem>.<UTC time>[.<extension>][.gz]`,
/// see ``FileSink``); every other file in the directory is left alone. An archive goes when any rule
/// says so; the live file is never deleted.
public struct RetentionPolicy: Sendable, Hashable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The most archives to keep.
    package var maxFiles: Int?
    /// The most bytes all archives together may take (compressed size where compressed).
    package var maxBytes: Int64?
    /// The oldest an archive may get, measured from when it was rotated out.
    package var maxAge: Duration?

    private init(maxFiles: Int?, maxBytes: Int64?, maxAge: Duration?) {
        self.maxFiles = maxFiles
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    /// Keep every archive.
    public static let everything = RetentionPolicy(maxFiles: nil, maxBytes: nil, maxAge: nil)

    /// Keep the newest `count` archives.
    ///
    /// - Parameter count: Archives to keep; 0 deletes every archive right after rotation.
    /// - Returns: The policy.
    public static func files(_ count: Int) -> RetentionPolicy {
        RetentionPolicy(maxFiles: max(count, 0), maxBytes: nil, maxAge: nil)
    }

    /// Keep the newest archives whose sizes add up to at most `bytes`.
    ///
    /// - Parameter bytes: The budget for all archives together.
    /// - Returns: The policy.
    public static func bytes(_ bytes: Int) -> RetentionPolicy {
        RetentionPolicy(maxFiles: nil, maxBytes: Int64(max(bytes, 0)), maxAge: nil)
    }

    /// Keep archives rotated out less than `age` ago.
    ///
    /// - Parameter age: The longest an archive is kept.
    /// - Returns: The policy.
    public static func age(_ age: Duration) -> RetentionPolicy {
        RetentionPolicy(maxFiles: nil, maxBytes: nil, maxAge: max(age, .zero))
    }

    /// Keep archives rotated out less than `days` days ago.
    ///
    /// - Parameter days: The longest an archive is kept, in days of 86,400 seconds.
    /// - Returns: The policy.
    public static func age(days: Int) -> RetentionPolicy {
        age(.seconds(Int64(max(days, 0)).saturatingMultiply(86_400)))
    }

    /// Applies both policies: an archive is deleted when either says so.
    ///
    /// - Parameter other: Another policy.
    /// - Returns: The stricter combination.
    public func and(_ other: RetentionPolicy) -> RetentionPolicy {
        func stricter<T: Comparable>(_ a: T?, _ b: T?) -> T? {
            switch (a, b) {
            case (let a?, let b?): min(a, b)
            default: a ?? b
            }
        }
        return RetentionPolicy(
            maxFiles: stricter(maxFiles, other.maxFiles),
            maxBytes: stricter(maxBytes, other.maxBytes),
            maxAge: stricter(maxAge, other.maxAge)
        )
    }

    /// Combines the listed rules, as ``and(_:)`` does; an empty list keeps everything.
    ///
    /// - Parameter elements: The rules.
    public init(arrayLiteral elements: RetentionPolicy...) {
        self = elements.reduce(.everything) { $0.and($1) }
    }

    /// Whether the policy keeps every archive.
    public var keepsEverything: Bool { maxFiles == nil && maxBytes == nil && maxAge == nil }

    public var description: String {
        var parts: [String] = []
        if let maxFiles { parts.append("files(\(maxFiles))") }
        if let maxBytes { parts.append("bytes(\(maxBytes))") }
        if let maxAge { parts.append("age(\(maxAge))") }
        return parts.isEmpty ? "everything" : parts.joined(separator: " and ")
    }
}
