import Sluice

/// A pipeline with a ``MemorySink``, ready for a test.
///
/// ```swift
/// @Test func ordersAreLogged() async throws {
///     let capture = try LogCapture()
///     placeOrder(log: capture.logger(label: "orders"))
///     let records = await capture.flushedRecords()
///     #expect(records.map(\.message) == ["order placed"])
///     await capture.shutdown()
/// }
/// ```
///
/// The pipeline ignores `LOG_LEVEL` (so the environment cannot change a test) and uses a short batch
/// delay.
public struct LogCapture: Sendable {
    /// The pipeline under test.
    public let pipeline: LogPipeline
    /// Where its records land.
    public let sink: MemorySink

    /// Creates a capturing pipeline.
    ///
    /// - Parameters:
    ///   - level: The pipeline's minimum level; default `.trace`.
    ///   - labelLevels: Per-label levels.
    ///   - queue: Queue options; default lossless (`block`).
    /// - Throws: ``SluiceError`` for invalid options.
    public init(
        level: LogLevel = .trace,
        labelLevels: [String: LogLevel] = [:],
        queue: QueueOptions = QueueOptions(overflow: .block)
    ) throws {
        sink = MemorySink()
        pipeline = try LogPipeline(
            sinks: [sink],
            level: level,
            labelLevels: labelLevels,
            levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: min(512, queue.capacity), maxDelay: .milliseconds(5)),
            queue: queue,
            onInternalError: .ignore
        )
    }

    /// A logger on the capturing pipeline.
    public func logger(label: String, metadata: LogMetadata = [:]) -> SluiceLogger {
        pipeline.logger(label: label, metadata: metadata)
    }

    /// Flushes the pipeline and returns every record captured so far.
    public func flushedRecords() async -> [LogRecord] {
        await pipeline.flush(timeout: .seconds(30))
        return sink.records
    }

    /// Shuts the pipeline down.
    @discardableResult
    public func shutdown() async -> ShutdownReport {
        await pipeline.shutdown(timeout: .seconds(30))
    }
}
