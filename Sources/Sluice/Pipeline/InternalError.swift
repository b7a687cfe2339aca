/// A problem inside the pipeline that the program should know about but that must not reach the
/// logging call: a sink threw, stalled, or could not be closed.
///
/// Internal errors go to the pipeline's ``InternalErrorHandler``, never into the pipeline itself
/// (a failing sink must not log about itself through itself).
///
/// ```swift
/// let pipeline = try LogPipeline(sinks: [file], onInternalError: .custom { problem in
///     metrics.increment("log_sink_errors", ["sink": problem.sinkName ?? "-"])
/// })
/// ```
public struct InternalError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        /// A sink's `write` threw; its batch was counted as dropped for that sink.
        public static let writeFailed = Kind(name: "write failed")
        /// A sink's `flush` threw.
        public static let flushFailed = Kind(name: "flush failed")
        /// A sink's `reopen` threw (during ``LogPipeline/reopenFiles(timeout:)``).
        public static let reopenFailed = Kind(name: "reopen failed")
        /// A sink's `close` threw.
        public static let closeFailed = Kind(name: "close failed")
        /// A sink's inbox stayed full past the stall timeout; batches are dropped for it until it
        /// catches up.
        public static let sinkStalled = Kind(name: "sink stalled")
        /// A network sink could not deliver a batch and will retry it (the batch is not lost yet).
        /// Network sinks report the first failure at once and then at most one per interval.
        public static let deliveryRetrying = Kind(name: "delivery failed, retrying")
        /// A file sink could not rotate its file. It keeps writing to the current file (an
        /// oversized file rather than lost records) and tries again with growing pauses.
        public static let rotationFailed = Kind(name: "rotation failed")
        /// A file sink could not compress or delete an archive. Records are not affected; the
        /// archive stays uncompressed, or on disk, until a later rotation tries again.
        public static let archiveFailed = Kind(name: "archiving failed")
        /// A database sink could not delete expired rows or give their space back. Records are not
        /// affected; the next retention pass tries again.
        public static let retentionFailed = Kind(name: "retention failed")
        /// A ``LogTransformer`` threw; the record went on unchanged. Reported once, then at most once
        /// per 10 seconds per transformer with a count.
        public static let transformerFailed = Kind(name: "transformer failed")
        /// Shutdown reached its deadline before everything was written.
        public static let shutdownTimedOut = Kind(name: "shutdown timed out")

        public var description: String { name }
    }

    /// What went wrong.
    public var kind: Kind
    /// The sink concerned, if any.
    public var sinkName: String?
    /// A readable explanation.
    public var message: String
    /// The underlying error, if any.
    public var underlying: (any Error)?

    /// Creates an internal error (handlers receive these; tests may build them).
    public init(kind: Kind, sinkName: String?, message: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.sinkName = sinkName
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        var text = "sluice: "
        if let sinkName {
            text += "sink '\(sinkName)' "
        }
        text += "\(kind): \(message)"
        return text
    }
}
