/// Keeps a share of the records logged under a label (and its children), and every record at or
/// above a level.
///
/// The decision is made at the call, before the message or metadata is evaluated, so a sampled-out
/// call costs a few nanoseconds. Records sampled out are counted in
/// ``FilterCounts/sampled``.
///
/// ```swift
/// // 1 in 10 access-log records, every warning and above from the same loggers:
/// SamplingRule(label: "api.access", keep: .oneIn(10), alwaysKeeping: .warning)
/// // A fifth of everything else at info and below:
/// SamplingRule(label: "", keep: .probability(0.2))
/// ```
///
/// The most specific rule for a logger's label applies (`"api.access"` covers `"api.access"` and
/// `"api.access.slow"`, not `"api.accessor"`; `""` covers every label). A rule's share is kept across
/// every label it covers together.
public struct SamplingRule: Sendable, Hashable {
    /// The label the rule covers, with its children; `""` for every label.
    public var label: String
    /// How many records below ``alwaysKeep`` to keep.
    public var rate: SampleRate
    /// Records at or above this level are always kept; default `.error`.
    public var alwaysKeep: LogLevel

    /// Creates a sampling rule.
    ///
    /// - Parameters:
    ///   - label: The label the rule covers, with its children; `""` for every label.
    ///   - rate: The share of records below `alwaysKeeping` to keep.
    ///   - alwaysKeeping: Records at or above this level are always kept; default `.error`.
    public init(label: String, keep rate: SampleRate, alwaysKeeping: LogLevel = .error) {
        self.label = label
        self.rate = rate
        self.alwaysKeep = alwaysKeeping
    }

    package func validate() throws(SluiceError) {
        switch rate.kind {
        case .oneIn(let n) where n < 1:
            throw SluiceError(
                .invalidConfiguration,
                "sampling rule for '\(label)' keeps 1 in \(n); use 1 in 1 or more (1 keeps everything)")
        case .probability(let p) where !(p >= 0 && p <= 1):
            throw SluiceError(
                .invalidConfiguration,
                "sampling rule for '\(label)' keeps a share of \(p); use a probability between 0 and 1")
        default:
            break
        }
    }
}

/// The share of records a ``SamplingRule`` keeps.
///
/// ```swift
/// SampleRate.oneIn(100)       // exactly every 100th record (the 1st, the 101st, ...)
/// SampleRate.probability(0.01)  // each record independently with probability 1 %
/// ```
public struct SampleRate: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case oneIn(Int)
        case probability(Double)
    }

    package let kind: Kind

    /// Keeps the first record, then every `n`th after it: exactly `1/n` of them.
    ///
    /// - Parameter n: 1 or more; 1 keeps everything.
    /// - Returns: The rate.
    public static func oneIn(_ n: Int) -> SampleRate {
        SampleRate(kind: .oneIn(n))
    }

    /// Keeps each record with probability `p`, independently (a fast pseudo-random sequence, not
    /// suitable for anything but sampling).
    ///
    /// - Parameter p: 0...1.
    /// - Returns: The rate.
    public static func probability(_ p: Double) -> SampleRate {
        SampleRate(kind: .probability(p))
    }

    public var description: String {
        switch kind {
        case .oneIn(let n): "1 in \(n)"
        case .probability(let p): "probability \(p)"
        }
    }
}
