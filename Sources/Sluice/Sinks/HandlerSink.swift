/// Calls a closure for every record at or above a level: for alerting on errors, counting, or
/// forwarding somewhere Sluice has no sink for.
///
/// ```swift
/// let alerts = HandlerSink(level: .error, name: "pager") { record in
///     try await pager.notify("\(record.label): \(record.message)")
/// }
/// let pipeline = try LogPipeline(sinks: [ConsoleSink(), alerts])
/// ```
///
/// The closure runs on the sink's own thread, one record at a time, in order. If it throws for any
/// record of a batch, the rest of the batch is still handed over and the error is then reported;
/// the batch counts as failed for this sink.
public struct HandlerSink: LogSink {
    public let name: String
    public let level: LogLevel
    private let handler: @Sendable (LogRecord) async throws -> Void

    /// Creates a handler sink.
    ///
    /// - Parameters:
    ///   - level: The lowest level handed to the closure; default `.error`.
    ///   - name: The name in stats and errors; default `"handler"`.
    ///   - handler: Called once per record.
    public init(
        level: LogLevel = .error, name: String = "handler",
        _ handler: @escaping @Sendable (LogRecord) async throws -> Void
    ) {
        self.level = level
        self.name = name
        self.handler = handler
    }

    public func write(_ records: [LogRecord]) async throws {
        var firstError: (any Error)?
        for record in records {
            do {
                try await handler(record)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError {
            throw firstError
        }
    }
}
