import Synchronization

/// Writes records to standard output (and optionally the severe ones to standard error).
///
/// ```swift
/// ConsoleSink(level: .info, format: .text)                 // colours on a terminal
/// ConsoleSink(level: .debug, format: .json, stderrLevel: .warning)
/// ```
///
/// Each batch is formatted into a reusable buffer and written in chunks of whole lines of about
/// 64 KiB, on the sink's own thread. ANSI colours are used only when the stream is a
/// terminal, honouring `NO_COLOR` and `FORCE_COLOR` (see ``ColorMode``).
public actor ConsoleSink: LogSink, EncodedRecordSink, SinkExecutorOwning {
    /// The thread the sink's work runs on (also the pipeline's driver for it).
    private nonisolated let executor = ThreadExecutor(name: "sluice-sink-console")

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    package nonisolated var sinkExecutor: ThreadExecutor { executor }

    public nonisolated let name: String
    public nonisolated let level: LogLevel
    private let format: any EncodedRecordFormat
    private let stderrLevel: LogLevel?
    private var output = LogOutput()
    private let standardOutput: Int32
    private let standardError: Int32
    private let stdoutColors: Bool
    private let stderrColors: Bool
    private let byteCount = Atomic<Int>(0)

    /// Creates a console sink with a format.
    ///
    /// - Parameters:
    ///   - level: The lowest level written; default `.info`.
    ///   - format: How records look, e.g. `.text`, `.logfmt`, `.json`.
    ///   - stderrLevel: Records at or above this level go to standard error instead; `nil` (default)
    ///     sends everything to standard output.
    ///   - colors: Whether to colour output; default ``ColorMode/auto``.
    ///   - name: The name in stats and errors; default `"console"`.
    public init(
        level: LogLevel = .info,
        format: some LogFormat,
        stderrLevel: LogLevel? = nil,
        colors: ColorMode = .auto,
        name: String = "console"
    ) {
        self.init(
            level: level, format: format, stderrLevel: stderrLevel, colors: colors, name: name,
            standardOutput: 1, standardError: 2
        )
    }

    /// Writes to the given descriptors instead of 1 and 2 (tests use pipes).
    package init(
        level: LogLevel,
        format: some LogFormat,
        stderrLevel: LogLevel?,
        colors: ColorMode,
        name: String,
        standardOutput: Int32,
        standardError: Int32
    ) {
        self.name = name
        self.level = level
        self.format = format.encoded
        self.stderrLevel = stderrLevel
        self.standardOutput = standardOutput
        self.standardError = standardError
        stdoutColors = colors.resolve(descriptor: standardOutput)
        stderrColors = colors.resolve(descriptor: standardError)
    }

    /// Creates a console sink with the ``TextFormat``.
    ///
    /// - Parameters:
    ///   - level: The lowest level written; default `.info`.
    ///   - stderrLevel: Records at or above this level go to standard error instead; `nil` (default)
    ///     sends everything to standard output.
    ///   - colors: Whether to colour output; default ``ColorMode/auto``.
    ///   - name: The name in stats and errors; default `"console"`.
    public init(
        level: LogLevel = .info, stderrLevel: LogLevel? = nil, colors: ColorMode = .auto, name: String = "console"
    ) {
        self.init(level: level, format: TextFormat(), stderrLevel: stderrLevel, colors: colors, name: name)
    }

    public nonisolated var bytesWritten: Int? {
        byteCount.load(ordering: .relaxed)
    }

    public func write(_ records: [LogRecord]) async throws(SluiceError) {
        try await write(EncodedRecordArray(records).batch)
    }

    package func write(_ batch: EncodedBatch) async throws(SluiceError) {
        try writeBatch(batch)
    }

    private func writeBatch(_ batch: EncodedBatch) throws(SluiceError) {
        let records = batch.records
        guard let stderrLevel else {
            try emit(records, to: standardOutput)
            return
        }
        // Keep the order within each stream; switch streams only between runs of records.
        var start = 0
        while start < records.count {
            let toStderr = records[start].level >= stderrLevel
            var end = start + 1
            while end < records.count && (records[end].level >= stderrLevel) == toStderr {
                end += 1
            }
            try emit(records[start..<end], to: toStderr ? standardError : standardOutput)
            start = end
        }
    }

    private func emit(_ records: EncodedRecords, to descriptor: Int32) throws(SluiceError) {
        output.colors = descriptor == standardError ? stderrColors : stdoutColors
        let (written, error) = LineWriter.write(records, format: format, output: &output, to: descriptor)
        byteCount.add(written, ordering: .relaxed)
        if let error {
            let stream = descriptor == standardError ? "standard error" : "standard output"
            throw SluiceError(
                .writeFailed, "writing to \(stream) failed: \(SluiceError.describe(errno: error))", errno: error)
        }
    }
}

extension ConsoleSink: SynchronousSink {
    package nonisolated func writeSynchronously(_ batch: EncodedBatch) throws {
        try executor.runExclusively { () throws -> Void in
            try assumeIsolated { try $0.writeBatch(batch) }
        }
    }

    package nonisolated func flushSynchronously() {}

    package nonisolated func reopenSynchronously() {}

    package nonisolated func closeSynchronously() {}
}
