import Synchronization

/// What the stages decided for one logger when it was made: its thresholds (with the backtrace's),
/// its sampler and the key its label has in the rate limit, so a log call only compares and counts.
package struct LoggerStages: Sendable {
    /// The lowest level that reaches the pipeline at all (the backtrace's level where that is lower
    /// than the logger's threshold).
    package var threshold: LogLevel
    /// The lowest level the sinks take for this logger; records between ``threshold`` and this only
    /// go to the backtrace.
    package var writeThreshold: LogLevel
    /// Whether a stage decides at the call (a sampler covers the label, or a rate limit is on).
    package var decidesAtTheCall: Bool
    // Unmanaged is safe: the sampler and the table belong to the pipeline's storage, which every
    // logger and handler holding these stages keeps alive with a strong reference. Without reference
    // counting the struct is trivial to copy, and a call the stages leave out costs a few
    // nanoseconds.
    /// The sampling rule covering the label, if any.
    private var sampler: Unmanaged<Sampler>?
    /// The pipeline's rate limit, if any.
    private var rateLimit: Unmanaged<RateLimitTable>?
    /// The label's key in the rate limit.
    package var labelKey: UInt64

    package init(
        threshold: LogLevel, writeThreshold: LogLevel, sampler: Sampler?, rateLimit: RateLimitTable?,
        labelKey: UInt64
    ) {
        self.threshold = threshold
        self.writeThreshold = writeThreshold
        self.sampler = sampler.map { Unmanaged.passUnretained($0) }
        self.rateLimit = rateLimit.map { Unmanaged.passUnretained($0) }
        self.labelKey = labelKey
        decidesAtTheCall = sampler != nil || rateLimit != nil
    }

    /// Whether a call at `level` (at or above ``writeThreshold``) gets through the sampler and the
    /// rate limit; counts it either way.
    @inline(__always)
    package func admits(_ level: LogLevel, label: String, file: String, function: String, line: UInt) -> Bool {
        if let sampler, !sampler._withUnsafeGuaranteedRef({ $0.keeps(level) }) {
            return false
        }
        guard let rateLimit else { return true }
        return rateLimit._withUnsafeGuaranteedRef { table in
            switch table.decide(level: level, labelKey: labelKey, file: file, line: line) {
            case .admitted: true
            case .suppressed: false
            case .unknownKey:
                table.admitsNewKey(
                    level: level, labelKey: labelKey, label: label, file: file, function: function, line: line)
            }
        }
    }
}

/// One ``SamplingRule`` at run time: decides at the call, counting with one atomic add.
///
/// `oneIn(n)` keeps the calls whose running number is a multiple of `n`, so exactly a `1/n` share of
/// the calls below the rule's level is kept and the number left out follows from the running count.
/// `probability(p)` keeps a call when a mixed running number falls below `p`, counting what it
/// leaves out.
package final class Sampler: Sendable {
    package let rule: SamplingRule
    private let every: UInt64
    private let threshold: UInt64
    private let calls = Atomic<UInt64>(0)
    private let dropped = Atomic<Int>(0)
    private let seed: UInt64

    package init(_ rule: SamplingRule) {
        self.rule = rule
        switch rule.rate.kind {
        case .oneIn(let n):
            every = UInt64(max(1, n))
            threshold = 0
        case .probability(let p):
            every = 0
            threshold = UInt64(max(0, min(1, p)) * Double(1 << 53))
        }
        seed = UInt64(truncatingIfNeeded: LogTimestamp.now().nanosecondsSinceEpoch) | 1
    }

    /// Whether a call at `level` is kept.
    @inline(__always)
    package func keeps(_ level: LogLevel) -> Bool {
        guard level < rule.alwaysKeep else { return true }
        let n = calls.wrappingAdd(1, ordering: .relaxed).oldValue
        if every > 0 {
            return n % every == 0
        }
        if Self.mix(n &+ seed) >> 11 < threshold {
            return true
        }
        dropped.wrappingAdd(1, ordering: .relaxed)
        return false
    }

    /// Calls left out so far.
    package var sampledOut: Int {
        guard every > 0 else { return dropped.load(ordering: .relaxed) }
        let n = calls.load(ordering: .relaxed)
        return Int(truncatingIfNeeded: n - (n + every - 1) / every)
    }

    /// splitmix64's finaliser: a running number becomes a well-spread 64-bit value.
    @inline(__always)
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The sampling rules of a pipeline, most specific label first.
package struct SamplingRules: Sendable {
    private let samplers: [Sampler]

    package init(_ rules: [SamplingRule]) {
        samplers = rules.sorted { $0.label.utf8.count > $1.label.utf8.count }.map(Sampler.init)
    }

    package var all: [Sampler] { samplers }

    /// The sampler whose rule covers `label` most specifically.
    package func sampler(for label: String) -> Sampler? {
        samplers.first { Self.label(label, isWithin: $0.rule.label) }
    }

    /// Whether `label` is `prefix` or one of its children; `""` covers every label.
    package static func label(_ label: String, isWithin prefix: String) -> Bool {
        guard !prefix.isEmpty else { return true }
        guard label.hasPrefix(prefix) else { return false }
        let rest = label.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: ".")
    }

    /// Records left out so far, by every rule.
    package var sampledOut: Int {
        samplers.reduce(0) { $0 + $1.sampledOut }
    }
}
