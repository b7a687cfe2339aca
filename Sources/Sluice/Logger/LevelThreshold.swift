import Synchronization

/// The level a group of loggers checks against, shared so that a level changed at runtime reaches
/// loggers that already exist.
///
/// Every logger with a given label shares one threshold (its children have their own label, so
/// their own); a logger whose ``SluiceLogger/level`` was set explicitly has one of its own. The
/// value packs the configured level (third byte), the write threshold (second byte: the configured
/// level raised to the lowest level any sink accepts) and the threshold (low byte: the write
/// threshold, lowered to a ``Backtrace``'s level if one is on), so a disabled call is one load and
/// one comparison.
//
// The registry keeps thresholds weakly: a label no live logger uses is forgotten, so loggers with
// ever new labels never grow a table.
@usableFromInline
package final class LevelThreshold: Sendable {
    @usableFromInline let packed: Atomic<UInt32>
    /// The label whose configuration this follows; `nil` for a logger's explicit level.
    package let label: String?
    private weak let registry: LevelRegistry?

    init(configured: LogLevel, write: LogLevel, threshold: LogLevel, label: String?, registry: LevelRegistry?) {
        packed = Atomic(Self.pack(configured: configured, write: write, threshold: threshold))
        self.label = label
        self.registry = registry
    }

    deinit {
        if let label {
            registry?.forget(label)
        }
    }

    static func pack(configured: LogLevel, write: LogLevel, threshold: LogLevel) -> UInt32 {
        UInt32(configured.rawValue) << 16 | UInt32(write.rawValue) << 8 | UInt32(threshold.rawValue)
    }

    /// Whether a record at `level` passes (the hot path of every log call).
    @inlinable @inline(__always)
    func admits(_ level: LogLevel) -> Bool {
        level.rawValue >= UInt8(truncatingIfNeeded: packed.load(ordering: .relaxed))
    }

    /// The configured level (before being raised to what the sinks accept).
    package var configured: LogLevel {
        LogLevel(rawValue: UInt8(truncatingIfNeeded: packed.load(ordering: .relaxed) >> 16)) ?? .trace
    }

    /// The lowest level the sinks take; records between ``threshold`` and this only go to the
    /// backtrace.
    @usableFromInline
    package var writeThreshold: LogLevel {
        LogLevel(rawValue: UInt8(truncatingIfNeeded: packed.load(ordering: .relaxed) >> 8)) ?? .trace
    }

    /// Whether a record at `level`, which ``admits(_:)`` let through, is below what the sinks take
    /// (only a backtrace wants it).
    @inlinable @inline(__always)
    func isHeld(_ level: LogLevel) -> Bool {
        level.rawValue < UInt8(truncatingIfNeeded: packed.load(ordering: .relaxed) >> 8)
    }

    /// The effective threshold (with a backtrace's level).
    package var threshold: LogLevel {
        LogLevel(rawValue: UInt8(truncatingIfNeeded: packed.load(ordering: .relaxed))) ?? .trace
    }

    func store(configured: LogLevel, write: LogLevel, threshold: LogLevel) {
        packed.store(Self.pack(configured: configured, write: write, threshold: threshold), ordering: .relaxed)
    }
}

/// A pipeline's level configuration and the thresholds of the loggers that exist: a change to the
/// configuration is written into every live threshold at once.
package final class LevelRegistry: Sendable {
    private struct Entry {
        weak var threshold: LevelThreshold?
    }

    private struct State {
        var policy: LevelPolicy
        var entries: [String: Entry] = [:]
    }

    /// The lowest level any sink accepts: nothing below it is worth queueing (but for a backtrace).
    package let minimumSinkLevel: LogLevel
    /// The lowest level a backtrace keeps, if one is on.
    package let backtraceLevel: LogLevel?
    private let state: LockedValue<State>

    package init(policy: LevelPolicy, minimumSinkLevel: LogLevel, backtraceLevel: LogLevel? = nil) {
        self.minimumSinkLevel = minimumSinkLevel
        self.backtraceLevel = backtraceLevel
        state = LockedValue(State(policy: policy))
    }

    /// A threshold's value for a configured level: raised to what the sinks take, then lowered to
    /// the backtrace's level.
    private func makeThreshold(configured: LogLevel, label: String?, registry: LevelRegistry?) -> LevelThreshold {
        let write = max(configured, minimumSinkLevel)
        return LevelThreshold(
            configured: configured, write: write, threshold: backtraceLevel.map { min($0, write) } ?? write,
            label: label, registry: registry)
    }

    /// The current configuration.
    package var policy: LevelPolicy {
        state.withLock { $0.policy }
    }

    /// The configured level for `label` now.
    package func level(for label: String) -> LogLevel {
        state.withLock { $0.policy.level(for: label) }
    }

    /// The shared threshold of loggers with `label`.
    package func threshold(for label: String) -> LevelThreshold {
        state.withLock { state in
            if let existing = state.entries[label]?.threshold {
                return existing
            }
            let configured = state.policy.level(for: label)
            let threshold = makeThreshold(configured: configured, label: label, registry: self)
            state.entries[label] = Entry(threshold: threshold)
            return threshold
        }
    }

    /// A threshold of its own for a logger whose level was set explicitly (runtime changes to the
    /// pipeline's levels do not touch it).
    package func fixedThreshold(_ level: LogLevel) -> LevelThreshold {
        makeThreshold(configured: level, label: nil, registry: nil)
    }

    /// Changes the configuration and every live logger's threshold with it.
    package func update<E: Error>(_ change: (inout LevelPolicy) throws(E) -> Void) throws(E) {
        try state.withLock { (state: inout State) throws(E) in
            var policy = state.policy
            try change(&policy)
            state.policy = policy
            for (label, entry) in state.entries {
                guard let threshold = entry.threshold else { continue }
                let configured = policy.level(for: label)
                let write = max(configured, minimumSinkLevel)
                threshold.store(
                    configured: configured, write: write, threshold: backtraceLevel.map { min($0, write) } ?? write)
            }
        }
    }

    /// A threshold went away with its last logger.
    fileprivate func forget(_ label: String) {
        state.withLock { state in
            if let entry = state.entries[label], entry.threshold == nil {
                state.entries[label] = nil
            }
        }
    }

    /// Labels with a live threshold (for tests).
    package var liveLabels: Int {
        state.withLock { $0.entries.values.count { $0.threshold != nil } }
    }
}
