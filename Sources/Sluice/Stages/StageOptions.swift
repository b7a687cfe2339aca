/// The processing stages a pipeline runs besides levels: redaction, sampling, rate limiting,
/// deduplication, transformers and a backtrace of debug records. Per-sink filters are set on the
/// sinks themselves (``LogSink/filtered(_:)``).
///
/// Stages run in a fixed order. At the call, cheap decisions first, before the message is even
/// built: the level, then ``sampling``, then the ``rateLimit``. In the pipeline (on its collector
/// thread, never the caller's), per record in order: the ``backtrace`` (debug records held back;
/// an error writes its key's ring out ahead of itself), ``transformers`` (in the order given), the
/// ``redaction``, ``deduplication``, and finally each sink's filter. So a transformer never adds a
/// secret that reaches a sink, deduplication compares records as they will be written, and a
/// record a sink filter drops was still redacted.
///
/// ```swift
/// let pipeline = try LogPipeline(
///     sinks: [ConsoleSink(), try FileSink(path: "logs/app.log").filtered(.labels(exclude: ["health"]))],
///     stages: StageOptions(
///         redaction: .default.addingPatterns([.cardNumbers], inMessages: true),
///         sampling: [SamplingRule(label: "api.access", keep: .oneIn(10))],
///         rateLimit: .perCallSite(100, per: .seconds(1)),
///         deduplication: Deduplication(window: .seconds(30))
///     )
/// )
/// ```
///
/// Every record a stage removes is counted under its own reason in ``PipelineStats/filtered``;
/// records a stage writes itself (rate-limit and deduplication summaries) are counted in
/// ``PipelineStats/generated``.
public struct StageOptions: Sendable {
    /// What to hide before any sink sees a record; default ``Redaction/default`` (the keys in
    /// ``Redaction/defaultKeys``, no patterns).
    public var redaction: Redaction
    /// Per-label sampling; the most specific rule for a logger's label applies. Default none.
    public var sampling: [SamplingRule]
    /// A limit on records per call site (or label) per interval; default none.
    public var rateLimit: RateLimit?
    /// Collapsing identical consecutive records; default off.
    public var deduplication: Deduplication?
    /// Your own changes to records, in order; default none.
    public var transformers: [LogTransformer]
    /// Keeping debug records below the sinks' levels to write them out when an error follows;
    /// default off.
    public var backtrace: Backtrace?

    /// Creates stage options.
    ///
    /// - Parameters:
    ///   - redaction: What to hide; default ``Redaction/default``.
    ///   - sampling: Sampling rules; default none.
    ///   - rateLimit: A rate limit; default none.
    ///   - deduplication: Deduplication of repeated records; default off.
    ///   - transformers: Transformers, run in this order; default none.
    ///   - backtrace: A backtrace of debug records; default off.
    public init(
        redaction: Redaction = .default,
        sampling: [SamplingRule] = [],
        rateLimit: RateLimit? = nil,
        deduplication: Deduplication? = nil,
        transformers: [LogTransformer] = [],
        backtrace: Backtrace? = nil
    ) {
        self.redaction = redaction
        self.sampling = sampling
        self.rateLimit = rateLimit
        self.deduplication = deduplication
        self.transformers = transformers
        self.backtrace = backtrace
    }

    /// No stage at all, not even the default redaction.
    public static var none: StageOptions { StageOptions(redaction: .none) }

    /// Checks every option, throwing an error a person can act on.
    package func validate() throws(SluiceError) {
        func fail(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, message)
        }
        for rule in sampling {
            try rule.validate()
        }
        let labels = sampling.map(\.label)
        if let repeated = labels.first(where: { label in labels.filter { $0 == label }.count > 1 }) {
            throw fail("two sampling rules name the label '\(repeated)'; keep one rule per label")
        }
        try rateLimit?.validate()
        if let deduplication, deduplication.window <= .zero {
            throw fail(
                "deduplication window is \(deduplication.window); it must be positive (30 seconds is a good default)")
        }
        try backtrace?.validate()
        var names = Set<String>()
        for transformer in transformers where !names.insert(transformer.name).inserted {
            throw fail("two transformers are named '\(transformer.name)'; give each a name of its own")
        }
    }
}
