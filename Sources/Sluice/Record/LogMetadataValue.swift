/// A typed metadata value: string, integer, double, bool, array or nested dictionary.
///
/// Literals convert implicitly, so metadata reads naturally at the call site:
///
/// ```swift
/// log.info("request handled", metadata: [
///     "request_id": "\(id)",          // .string
///     "status": 200,                  // .integer
///     "duration_ms": 12.5,            // .double
///     "cached": true,                 // .bool
///     "tags": ["beta", "eu"],         // .array
///     "user": ["id": 7, "plan": "pro"] // .dictionary
/// ])
/// ```
///
/// Formats render each type natively (JSON numbers stay numbers) and never interpret a value:
/// `"${jndi:ldap://x}"` is written literally.
public enum LogMetadataValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([LogMetadataValue])
    case dictionary(LogMetadata)
}

extension LogMetadataValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension LogMetadataValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self = .integer(value)
    }
}

extension LogMetadataValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension LogMetadataValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension LogMetadataValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: LogMetadataValue...) {
        self = .array(elements)
    }
}

extension LogMetadataValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, LogMetadataValue)...) {
        self = .dictionary(LogMetadata(pairs: elements))
    }
}

extension LogMetadataValue: CustomStringConvertible {
    /// A compact, human-readable rendering: strings as-is, nested values in brackets.
    public var description: String {
        switch self {
        case .string(let value): value
        case .integer(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .dictionary(let metadata): metadata.description
        }
    }
}
