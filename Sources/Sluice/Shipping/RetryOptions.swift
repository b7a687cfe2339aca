/// How a network sink retries and how much it holds while its receiver is away.
///
/// Connection errors, timeouts, HTTP 5xx and 429 are retried with exponential backoff and jitter,
/// capped at ``maxBackoff``; a `Retry-After` from the receiver is honoured. Other 4xx answers are
/// not retried: the batch is dropped and counted. A batch is given up on (dropped, counted) once
/// ``retryBudget`` has passed since its first failure. At most ``maxPendingBatches`` batches are
/// held; beyond that ``overflow`` decides which one is dropped.
///
/// ```swift
/// let retry = RetryOptions(initialBackoff: .milliseconds(200), maxBackoff: .seconds(10),
///                          retryBudget: .seconds(30), maxPendingBatches: 32, overflow: .dropOldest)
/// ```
public struct RetryOptions: Sendable, Hashable {
    /// The wait after the first failure.
    public var initialBackoff: Duration
    /// The longest wait between two attempts (a longer `Retry-After` is still honoured).
    public var maxBackoff: Duration
    /// How much the wait grows after each consecutive failure.
    public var multiplier: Double
    /// The fraction (0...1) by which each wait is randomly lengthened or shortened, so many
    /// processes do not retry in step.
    public var jitter: Double
    /// How long one batch may keep failing before it is dropped.
    public var retryBudget: Duration
    /// Batches held while the receiver is away, including the one being sent.
    public var maxPendingBatches: Int
    /// Which batch to drop when ``maxPendingBatches`` are held and another arrives.
    public var overflow: PendingOverflow

    /// Creates retry options.
    ///
    /// - Parameters:
    ///   - initialBackoff: The wait after the first failure; default 100 ms.
    ///   - maxBackoff: The longest wait between attempts; default 30 seconds.
    ///   - multiplier: Growth per consecutive failure; default 2.
    ///   - jitter: Random spread of each wait, 0...1; default 0.2 (±20 %).
    ///   - retryBudget: How long one batch may keep failing; default 60 seconds.
    ///   - maxPendingBatches: Batches held while the receiver is away; default 64.
    ///   - overflow: Which batch to drop beyond that; default ``PendingOverflow/dropOldest``.
    public init(
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.2,
        retryBudget: Duration = .seconds(60),
        maxPendingBatches: Int = 64,
        overflow: PendingOverflow = .dropOldest
    ) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
        self.jitter = jitter
        self.retryBudget = retryBudget
        self.maxPendingBatches = maxPendingBatches
        self.overflow = overflow
    }

    /// Throws when a value is out of range.
    package func validate(sink: String) throws(SluiceError) {
        func fail(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, "\(sink): \(message)")
        }
        guard initialBackoff > .zero else {
            throw fail("retry initialBackoff is \(initialBackoff); it must be positive (100 ms is a good default)")
        }
        guard maxBackoff >= initialBackoff else {
            throw fail("retry maxBackoff (\(maxBackoff)) is shorter than initialBackoff (\(initialBackoff))")
        }
        guard multiplier >= 1, multiplier.isFinite else {
            throw fail("retry multiplier is \(multiplier); it must be at least 1 (2 is a good default)")
        }
        guard (0...1).contains(jitter) else {
            throw fail("retry jitter is \(jitter); it must be between 0 and 1 (0.2 is a good default)")
        }
        guard retryBudget >= .zero else {
            throw fail("retry retryBudget is \(retryBudget); it must not be negative")
        }
        guard maxPendingBatches > 0 else {
            throw fail("retry maxPendingBatches is \(maxPendingBatches); it must be at least 1 (64 is a good default)")
        }
    }
}
