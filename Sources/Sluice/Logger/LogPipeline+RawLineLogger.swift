extension LogPipeline {
    /// A logger for lines that are already text, all with `label` and `stream`.
    ///
    /// ```swift
    /// let out = pipeline.rawLineLogger(label: "worker", stream: "stdout")
    /// let err = pipeline.rawLineLogger(label: "worker", stream: "stderr", level: .error)
    /// out.write("listening on :8080")
    /// ```
    ///
    /// - Parameters:
    ///   - label: The label of every record; per-label levels apply to it as to any logger's.
    ///   - stream: Where the lines came from, written as the `stream` metadata of every record.
    ///   - level: The level of lines written without one; default `.info`.
    ///   - metadata: More metadata every record carries after `stream` (a `stream` key here is
    ///     ignored); built once, shared by every record.
    /// - Returns: The logger.
    public func rawLineLogger(
        label: String,
        stream: String,
        level: LogLevel = .info,
        metadata: LogMetadata = [:]
    ) -> RawLineLogger {
        RawLineLogger(label: label, stream: stream, level: level, metadata: metadata, core: core)
    }
}
