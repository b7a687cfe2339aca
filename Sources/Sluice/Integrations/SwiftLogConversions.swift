#if SwiftLog
import Logging

extension LogLevel {
    /// The Sluice level for a swift-log level (the same seven).
    package init(_ level: Logging.Logger.Level) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}

extension Logging.Logger.Level {
    /// The swift-log level for a Sluice level (the same seven).
    package init(_ level: LogLevel) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}

extension LogMetadata {
    /// swift-log metadata, keys sorted so output is the same from run to run.
    package init(swiftLog metadata: Logging.Logger.Metadata) {
        var pairs: [(String, LogMetadataValue)] = []
        pairs.reserveCapacity(metadata.count)
        for (key, value) in metadata {
            pairs.append((key, LogMetadataValue(swiftLog: value)))
        }
        pairs.sort { $0.0 < $1.0 }
        self.init(pairs: pairs)
    }
}

extension LogMetadataValue {
    /// A swift-log metadata value. `.stringConvertible` keeps integers, floating-point numbers and
    /// booleans typed (so JSON renders them as numbers and `true`/`false`); anything else becomes its
    /// `description`.
    package init(swiftLog value: Logging.Logger.MetadataValue) {
        switch value {
        case .string(let string):
            self = .string(string)
        case .stringConvertible(let convertible):
            self = Self.typed(convertible)
        case .array(let values):
            self = .array(values.map(LogMetadataValue.init(swiftLog:)))
        case .dictionary(let metadata):
            self = .dictionary(LogMetadata(swiftLog: metadata))
        }
    }

    private static func typed(_ value: any CustomStringConvertible & Sendable) -> LogMetadataValue {
        switch value {
        case let integer as Int: .integer(integer)
        case let bool as Bool: .bool(bool)
        case let double as Double: .double(double)
        case let float as Float: .double(Double(float))
        case let integer as any BinaryInteger: Int(exactly: integer).map { .integer($0) } ?? .string(value.description)
        default: .string(value.description)
        }
    }
}
#endif
