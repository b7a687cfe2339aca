/// Which rows of a ``SQLiteSink``'s table to keep: by age, row count and size, in any combination.
///
/// ```swift
/// let keep: SQLiteRetention = [.age(days: 14), .rows(50_000_000), .bytes(8 << 30)]
/// ```
///
/// Retention runs on a thread and a connection of the sink's own, at start-up and then every
/// `retentionInterval`, never inside a batch's transaction. It deletes the oldest rows in chunks
/// of a few thousand, each its own short transaction, so writers and readers are held up for
/// milliseconds at a time, then gives the freed pages back to the file system with
/// `PRAGMA incremental_vacuum` (the sink creates databases with `auto_vacuum=INCREMENTAL`). A row
/// goes when any rule says so.
public struct SQLiteRetention: Sendable, Hashable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The oldest a row may get, by its record's timestamp.
    package var maxAge: Duration?
    /// The most rows to keep.
    package var maxRows: Int?
    /// The most bytes the database's pages in use may take.
    package var maxBytes: Int64?

    private init(maxAge: Duration?, maxRows: Int?, maxBytes: Int64?) {
        self.maxAge = maxAge
        self.maxRows = maxRows
        self.maxBytes = maxBytes
    }

    /// Keep every row.
    public static let everything = SQLiteRetention(maxAge: nil, maxRows: nil, maxBytes: nil)

    /// Keep rows whose record was logged less than `age` ago.
    ///
    /// - Parameter age: The longest a row is kept.
    /// - Returns: The policy.
    public static func age(_ age: Duration) -> SQLiteRetention {
        SQLiteRetention(maxAge: max(age, .zero), maxRows: nil, maxBytes: nil)
    }

    /// Keep rows whose record was logged less than `days` days ago.
    ///
    /// - Parameter days: The longest a row is kept, in days of 86,400 seconds.
    /// - Returns: The policy.
    public static func age(days: Int) -> SQLiteRetention {
        age(.seconds(Int64(max(days, 0)) * 86_400))
    }

    /// Keep at most the newest `count` rows (rows are numbered in the order they were written; rows
    /// someone deleted by hand leave gaps that count too).
    ///
    /// - Parameter count: The most rows to keep.
    /// - Returns: The policy.
    public static func rows(_ count: Int) -> SQLiteRetention {
        SQLiteRetention(maxAge: nil, maxRows: max(count, 0), maxBytes: nil)
    }

    /// Keep the newest rows while the database's pages in use take at most `bytes` (the write-ahead
    /// log, which SQLite keeps below `journal_size_limit` after each checkpoint, comes on top).
    ///
    /// - Parameter bytes: The budget for the database file.
    /// - Returns: The policy.
    public static func bytes(_ bytes: Int) -> SQLiteRetention {
        SQLiteRetention(maxAge: nil, maxRows: nil, maxBytes: Int64(max(bytes, 0)))
    }

    /// Applies both policies: a row is deleted when either says so.
    ///
    /// - Parameter other: Another policy.
    /// - Returns: The stricter combination.
    public func and(_ other: SQLiteRetention) -> SQLiteRetention {
        func stricter<T: Comparable>(_ a: T?, _ b: T?) -> T? {
            switch (a, b) {
            case (let a?, let b?): min(a, b)
            default: a ?? b
            }
        }
        return SQLiteRetention(
            maxAge: stricter(maxAge, other.maxAge),
            maxRows: stricter(maxRows, other.maxRows),
            maxBytes: stricter(maxBytes, other.maxBytes)
        )
    }

    /// Combines the listed rules, as ``and(_:)`` does; an empty list keeps everything.
    ///
    /// - Parameter elements: The rules.
    public init(arrayLiteral elements: SQLiteRetention...) {
        self = elements.reduce(.everything) { $0.and($1) }
    }

    /// Whether the policy keeps every row.
    public var keepsEverything: Bool { maxAge == nil && maxRows == nil && maxBytes == nil }

    public var description: String {
        var parts: [String] = []
        if let maxAge { parts.append("age(\(maxAge))") }
        if let maxRows { parts.append("rows(\(maxRows))") }
        if let maxBytes { parts.append("bytes(\(maxBytes))") }
        return parts.isEmpty ? "everything" : parts.joined(separator: " and ")
    }
}
