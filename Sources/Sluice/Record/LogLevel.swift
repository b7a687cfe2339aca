/// The severity of a log record: swift-log's seven levels, in the same order.
///
/// Levels compare by severity, so `level >= .warning` selects warnings, errors and critical records.
///
/// ```swift
/// let level = try LogLevel.parse("WARN")   // .warning; case-insensitive, common aliases accepted
/// if level >= .error { ... }
/// ```
public enum LogLevel: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible, Codable {
    /// Very fine-grained detail, usually only while tracing a problem.
    case trace
    /// Information useful while developing or debugging.
    case debug
    /// Normal operation worth recording.
    case info
    /// A normal but significant condition.
    case notice
    /// Something unexpected that the program handled.
    case warning
    /// A failure of one operation.
    case error
    /// A failure that needs attention now.
    case critical

    /// Parses a level name, ignoring case and surrounding spaces.
    ///
    /// Accepts the seven names plus the aliases `warn`, `err`, `crit` and `fatal` (critical).
    /// Returns `nil` for anything else; use ``parse(_:)`` for an error message.
    ///
    /// - Parameter text: A level name such as `"info"` or `"WARNING"`.
    public init?(_ text: some StringProtocol) {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let trimmed = text.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        switch String(trimmed).lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error", "err": self = .error
        case "critical", "crit", "fatal": self = .critical
        default: return nil
        }
    }

    /// Parses a level name like ``init(_:)``, throwing an actionable error for unknown names.
    ///
    /// - Parameter text: A level name such as `"debug"`.
    /// - Returns: The level.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/invalidLogLevel``.
    public static func parse(_ text: some StringProtocol) throws(SluiceError) -> LogLevel {
        guard let level = LogLevel(text) else {
            let names = LogLevel.allCases.map(\.name).joined(separator: ", ")
            throw SluiceError(.invalidLogLevel, "unknown log level '\(text)'; use one of: \(names)")
        }
        return level
    }

    /// The lowercase name: `"trace"` … `"critical"`.
    public var name: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    public var description: String { name }

    @inlinable
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
