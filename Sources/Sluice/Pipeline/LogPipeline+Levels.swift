#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Levels at runtime: changes reach loggers (and swift-log handlers) that already exist, and their
/// children, at once. A disabled call stays one load and one comparison.
extension LogPipeline {
    /// The minimum level now.
    public var level: LogLevel {
        core.levels.policy.minimum
    }

    /// The per-label levels now.
    public var labelLevels: [String: LogLevel] {
        core.levels.policy.labelLevels
    }

    /// Sets the minimum level for every label without a level of its own.
    ///
    /// ```swift
    /// pipeline.setLevel(.debug)                   // everything at debug
    /// pipeline.setLevel(.trace, for: "api.db")    // and api.db (and api.db.pool) at trace
    /// ```
    ///
    /// - Parameter level: The new minimum.
    public func setLevel(_ level: LogLevel) {
        core.levels.update { $0.minimum = level }
    }

    /// Sets the level of `label` and its children (`"api.db"` covers `api.db` and `api.db.pool`,
    /// not `api.dbx`). Loggers whose ``SluiceLogger/level`` was set explicitly keep theirs.
    ///
    /// - Parameters:
    ///   - level: The level.
    ///   - label: A dotted label.
    public func setLevel(_ level: LogLevel, for label: String) {
        core.levels.update { $0.setLevel(level, for: label) }
    }

    /// Removes the level of `label`: it follows its parent's level or the minimum again.
    ///
    /// - Parameter label: A label given to ``setLevel(_:for:)`` or `labelLevels`.
    public func removeLevel(for label: String) {
        core.levels.update { $0.setLevel(nil, for: label) }
    }

    /// Applies a specification in `LOG_LEVEL`'s syntax, as if the environment variable had it:
    /// its `label=level` items replace every per-label level, and its level, if it names one,
    /// replaces the minimum. Nothing changes when it is invalid.
    ///
    /// ```swift
    /// try pipeline.setLevels(specification: "info,api.db=debug")   // from a config file, an admin endpoint
    /// ```
    ///
    /// - Parameter specification: Such as `"warning"` or `"info,api.db=trace"`.
    /// - Throws: ``SluiceError`` (``SluiceError/Code/invalidLogLevel``) naming the bad item.
    public func setLevels(specification: String) throws(SluiceError) {
        try core.levels.update { (policy: inout LevelPolicy) throws(SluiceError) in
            try policy.apply(specification: specification, source: "level specification")
        }
    }

    /// Goes back to the levels the pipeline was created with: the code's `level` and `labelLevels`,
    /// then the environment variable as it is now (a process changes its own environment with
    /// `setenv`; wire this to `onHangup:` of ``drainOnSignals(_:afterShutdown:onHangup:)`` if yours
    /// does).
    ///
    /// - Throws: ``SluiceError`` (``SluiceError/Code/invalidLogLevel``) when the variable's value is
    ///   invalid; nothing changes then.
    public func reloadLevels() throws(SluiceError) {
        var levels = configuredLevels
        if let variable = levelEnvironmentVariable, let raw = getenv(variable) {
            try levels.apply(specification: String(cString: raw), source: "environment variable \(variable)")
        }
        core.levels.update { $0 = levels }
    }
}
