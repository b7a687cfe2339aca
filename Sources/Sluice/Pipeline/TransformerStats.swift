/// Counters for one ``LogTransformer``, part of ``PipelineStats``.
///
/// ```swift
/// for transformer in pipeline.stats.transformers where transformer.errors > 0 {
///     print(transformer.name, transformer.errors, transformer.lastError ?? "")
/// }
/// ```
public struct TransformerStats: Sendable, Hashable {
    /// The transformer's name.
    public var name: String
    /// Records it dropped (returned `nil` for).
    public var dropped: Int
    /// Records it threw for (they went on unchanged).
    public var errors: Int
    /// Errors since it last returned normally; 0 when healthy.
    public var consecutiveErrors: Int
    /// The most recent error's text, if any.
    public var lastError: String?

    /// Creates transformer stats.
    public init(name: String, dropped: Int = 0, errors: Int = 0, consecutiveErrors: Int = 0, lastError: String? = nil) {
        self.name = name
        self.dropped = dropped
        self.errors = errors
        self.consecutiveErrors = consecutiveErrors
        self.lastError = lastError
    }
}

/// A processing stage's condition, part of ``PipelineHealth``: a ``LogTransformer`` that throws is
/// failing until it returns normally again.
public struct StageHealth: Sendable, Hashable {
    /// The stage's name (a transformer's name).
    public var name: String
    /// Errors in a row; 0 when healthy.
    public var consecutiveErrors: Int
    /// The most recent error's text, if any.
    public var lastError: String?

    /// Whether the stage's last run threw.
    public var isFailing: Bool { consecutiveErrors > 0 }

    /// Creates a stage health.
    public init(name: String, consecutiveErrors: Int, lastError: String?) {
        self.name = name
        self.consecutiveErrors = consecutiveErrors
        self.lastError = lastError
    }
}
