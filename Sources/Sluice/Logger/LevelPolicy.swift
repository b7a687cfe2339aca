/// The pipeline's level configuration: a minimum level plus per-label overrides that apply to a
/// label and its children (`"api.db"` covers `"api.db"` and `"api.db.pool"`, not `"api.dbx"`).
package struct LevelPolicy: Sendable, Equatable {
    package var minimum: LogLevel
    /// Sorted longest label first, so the most specific override wins.
    package private(set) var overrides: [(label: String, level: LogLevel)]

    package init(minimum: LogLevel, overrides: [String: LogLevel]) {
        self.minimum = minimum
        self.overrides = overrides.map { ($0.key, $0.value) }.sorted { $0.label.utf8.count > $1.label.utf8.count }
    }

    /// The configured level for `label`.
    package func level(for label: String) -> LogLevel {
        for (prefix, level) in overrides where Self.label(label, isWithin: prefix) {
            return level
        }
        return minimum
    }

    private static func label(_ label: String, isWithin prefix: String) -> Bool {
        guard label.hasPrefix(prefix) else { return false }
        let rest = label.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: ".")
    }

    /// Applies a `LOG_LEVEL`-style specification: comma-separated items, each either a level
    /// (`debug`, the new minimum) or `label=level` (an override), e.g. `"info,api.db=trace"`.
    package mutating func apply(specification: String, source: String) throws(SluiceError) {
        var merged = Dictionary(overrides.map { ($0.label, $0.level) }, uniquingKeysWith: { _, new in new })
        for rawItem in specification.split(separator: ",") {
            let item = rawItem.trimmingSpaces
            if item.isEmpty {
                continue
            }
            if let equals = item.firstIndex(of: "=") {
                let label = item[..<equals].trimmingSpaces
                let levelText = item[item.index(after: equals)...].trimmingSpaces
                guard !label.isEmpty else {
                    throw SluiceError(
                        .invalidLogLevel,
                        "\(source) item '\(item)' has no label before '='; write label=level, e.g. api.db=debug")
                }
                guard let level = LogLevel(levelText) else {
                    throw SluiceError(
                        .invalidLogLevel,
                        "\(source) item '\(item)': unknown level '\(levelText)'; use one of: \(Self.levelNames)")
                }
                merged[String(label)] = level
            } else {
                guard let level = LogLevel(item) else {
                    throw SluiceError(
                        .invalidLogLevel,
                        "\(source) value '\(specification)': unknown level '\(item)'; use one of: \(Self.levelNames), optionally with label=level overrides such as 'info,api.db=debug'"
                    )
                }
                minimum = level
            }
        }
        self = LevelPolicy(minimum: minimum, overrides: merged)
    }

    private static var levelNames: String {
        LogLevel.allCases.map(\.name).joined(separator: ", ")
    }

    package static func == (lhs: LevelPolicy, rhs: LevelPolicy) -> Bool {
        lhs.minimum == rhs.minimum && lhs.overrides.elementsEqual(rhs.overrides) { $0 == $1 }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[start...end]
    }
}
