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

    /// The per-label levels, as a dictionary.
    package var labelLevels: [String: LogLevel] {
        Dictionary(overrides.map { ($0.label, $0.level) }, uniquingKeysWith: { _, new in new })
    }

    /// Sets (or, with `nil`, removes) the level of `label` and its children.
    package mutating func setLevel(_ level: LogLevel?, for label: String) {
        var levels = labelLevels
        levels[label] = level
        self = LevelPolicy(minimum: minimum, overrides: levels)
    }

    /// Applies a `LOG_LEVEL`-style specification: comma-separated items, each either a level
    /// (`debug`, the new minimum) or `label=level` (a per-label level), e.g. `"info,api.db=trace"`.
    ///
    /// The specification is complete: its per-label levels **replace** the ones configured before
    /// (a label it does not name falls back to the minimum), and a level it names replaces the
    /// minimum (otherwise the minimum stays). Nothing changes when it throws.
    package mutating func apply(specification: String, source: String) throws(SluiceError) {
        var newMinimum: LogLevel?
        var levels: [String: LogLevel] = [:]
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
                levels[String(label)] = level
            } else {
                guard let level = LogLevel(item) else {
                    throw SluiceError(
                        .invalidLogLevel,
                        "\(source) value '\(specification)': unknown level '\(item)'; use one of: \(Self.levelNames), optionally with label=level overrides such as 'info,api.db=debug'"
                    )
                }
                newMinimum = level
            }
        }
        self = LevelPolicy(minimum: newMinimum ?? minimum, overrides: levels)
    }

    /// The lowest level any label can log at: the minimum or a per-label level below it.
    package var lowestLevel: LogLevel {
        overrides.map(\.level).min().map { Swift.min($0, minimum) } ?? minimum
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
