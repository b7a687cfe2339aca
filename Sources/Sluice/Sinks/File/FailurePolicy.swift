/// How a ``FileSink`` retries failed writes and when it stops trying for a while (a circuit
/// breaker).
///
/// ```swift
/// let failure = FailurePolicy(attempts: 4, initialBackoff: .milliseconds(100), openCircuitAfter: 5)
/// let file = try FileSink(path: "logs/app.log", failure: failure, fallback: ConsoleSink(format: .json))
/// ```
///
/// A write that fails with a transient error (`ENOSPC`, `EDQUOT`, `EIO`, `EAGAIN`, `ENOMEM`, ...)
/// is retried up to ``attempts`` times in all, waiting ``initialBackoff``, then twice that, and so
/// on up to ``maxBackoff``, each wait varied by ±``jitter`` so that many processes on one full disk
/// do not retry in step. Other errors (`EACCES`, `EROFS`, ...) are not retried within the batch.
/// When a batch cannot be written its records are counted as dropped (reason `sinkFailure`), the
/// error goes to the pipeline's `onInternalError`, and the optional fallback sink gets the batch.
///
/// After ``openCircuitAfter`` batches in a row failed, the circuit *opens*: batches are dropped at
/// once, without touching the disk, for ``probeAfter``. Then one batch is tried (*half-open*): if it
/// succeeds the circuit closes and writing resumes; if not, it opens again for twice as long, up to
/// ``maxProbeInterval``. Nothing ever busy-loops.
public struct FailurePolicy: Sendable, Hashable {
    /// Tries per batch, including the first; at least 1.
    public var attempts: Int
    /// The wait before the first retry.
    public var initialBackoff: Duration
    /// The longest wait between two retries.
    public var maxBackoff: Duration
    /// How much each wait varies, as a fraction (0 to 1) of the wait.
    public var jitter: Double
    /// Consecutive failed batches that open the circuit; at least 1.
    public var openCircuitAfter: Int
    /// How long the circuit stays open before the first probe.
    public var probeAfter: Duration
    /// The longest the circuit stays open between two probes.
    public var maxProbeInterval: Duration

    /// Creates a failure policy.
    ///
    /// - Parameters:
    ///   - attempts: Tries per batch for transient errors; default 4.
    ///   - initialBackoff: First wait; default 100 ms.
    ///   - maxBackoff: Cap on a single wait; default 2 s.
    ///   - jitter: Variation of each wait, 0...1; default 0.2 (±20 %).
    ///   - openCircuitAfter: Failed batches in a row that open the circuit; default 5.
    ///   - probeAfter: Time until the first probe; default 1 s.
    ///   - maxProbeInterval: Cap on the time between probes; default 60 s.
    public init(
        attempts: Int = 4,
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(2),
        jitter: Double = 0.2,
        openCircuitAfter: Int = 5,
        probeAfter: Duration = .seconds(1),
        maxProbeInterval: Duration = .seconds(60)
    ) {
        self.attempts = attempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.jitter = jitter
        self.openCircuitAfter = openCircuitAfter
        self.probeAfter = probeAfter
        self.maxProbeInterval = maxProbeInterval
    }
}
