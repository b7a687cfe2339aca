#if SwiftLog
import Logging

/// A swift-log `LogHandler` that hands every record to a Sluice pipeline (trait `SwiftLog`).
///
/// Bootstrap swift-log onto a pipeline once, at start-up; every `Logging.Logger` in the process, in
/// your code and in the libraries you use (Vapor, Hummingbird, SwiftNIO, AsyncHTTPClient), then logs
/// through Sluice without a change at its call sites.
///
/// ```swift
/// import Logging
/// import Sluice
///
/// let pipeline = try LogPipeline(sinks: [ConsoleSink(), try FileSink(path: "logs/app.log", format: .json)])
/// LoggingSystem.bootstrap { label in pipeline.logHandler(label: label) }
///
/// let logger = Logger(label: "app")
/// logger.info("listening", metadata: ["port": "8080"])
/// ```
///
/// How swift-log maps onto a ``LogRecord``:
/// - **Levels**: the same seven, one to one. A logger starts at the level the pipeline configures for
///   its label (the pipeline's `level`, `labelLevels` and `LOG_LEVEL`); setting ``logLevel`` changes
///   this handler value only, as swift-log requires.
/// - **Metadata**: `.string` stays a string; `.stringConvertible` becomes an integer, double or bool
///   when it holds one (so JSON keeps numbers as numbers) and its `description` otherwise; `.array`
///   and `.dictionary` nest, dictionary keys sorted so output is stable. Precedence, highest first:
///   the log call's metadata (and `error.message`/`error.type` when an error is passed), the metadata
///   provider's, this handler's ``metadata``, then the task's ``LogContext``.
/// - **Source location**: `file`, `function` and `line` become ``LogRecord/source``. swift-log's
///   `source` (the module) is not stored separately: `file` is a `#fileID`, `Module/File.swift`,
///   which names the module already.
///
/// The pipeline's ``StageOptions`` apply as to ``SluiceLogger``: sampling and the rate limit decide in
/// ``log(event:)`` (after swift-log built the message), redaction and the rest in the pipeline. A
/// ``Backtrace`` keeps only records that reach the handler, and swift-log checks ``logLevel`` first:
/// set `logger.logLevel` to the backtrace's level for the loggers whose debug records it should keep
/// (the sinks still take only what their levels allow).
///
/// - Important: `SluiceLogHandler` is a `Sendable` value. Creating one costs a level lookup and no
///   allocation, so a bootstrap factory may be called per request. ``log(event:)`` never awaits and
///   never does I/O; an enabled call allocates only for the call's metadata (one array, as
///   ``SluiceLogger`` does for a metadata literal). A record below every sink's level is discarded in
///   ``log(event:)``, after swift-log evaluated its message.
public struct SluiceLogHandler: LogHandler {
    /// The logger's label, e.g. `"app.db"`.
    public let label: String

    private let core: PipelineStorage
    private var storedLevel: Logging.Logger.Level
    private var stages: LoggerStages
    private var storedMetadata: Logging.Logger.Metadata = [:]
    /// `storedMetadata` converted once, when it changes, so the log path does not convert it.
    private var convertedMetadata = LogMetadata()

    /// Metadata from the task or the environment, added to every record; see swift-log's
    /// `Logger.MetadataProvider`.
    public var metadataProvider: Logging.Logger.MetadataProvider?

    package init(label: String, core: PipelineStorage, metadataProvider: Logging.Logger.MetadataProvider?) {
        self.label = label
        self.core = core
        self.metadataProvider = metadataProvider
        let level = core.levels.level(for: label)
        storedLevel = Logging.Logger.Level(level)
        stages = core.loggerStages(for: label, requested: level)
    }

    /// The minimum level this handler logs. Starts at the level the pipeline configures for the
    /// label; setting it affects this value only.
    public var logLevel: Logging.Logger.Level {
        get { storedLevel }
        set {
            storedLevel = newValue
            stages = core.loggerStages(for: label, requested: LogLevel(newValue))
        }
    }

    /// Metadata every record from this handler carries (the log call's and the provider's win on a
    /// collision).
    public var metadata: Logging.Logger.Metadata {
        get { storedMetadata }
        set {
            storedMetadata = newValue
            convertedMetadata = LogMetadata(swiftLog: newValue)
        }
    }

    /// One metadata value of this handler; setting `nil` removes the key.
    public subscript(metadataKey key: String) -> Logging.Logger.Metadata.Value? {
        get { storedMetadata[key] }
        set {
            storedMetadata[key] = newValue
            convertedMetadata[key] = newValue.map(LogMetadataValue.init(swiftLog:))
        }
    }

    /// Queues the event as a Sluice record. Called by swift-log's `Logger` once its level check
    /// passed; never awaits, never does I/O.
    ///
    /// - Parameter event: The level, message, metadata, error and source location of the call.
    public func log(event: LogEvent) {
        let level = LogLevel(event.level)
        guard level >= stages.threshold else { return }
        var extraFlags: UInt8 = 0
        if level < stages.writeThreshold {
            // Below what the sinks take: only a backtrace wants it.
            extraFlags = RecordLayout.Flags.held
        } else if stages.decidesAtTheCall
            && !stages.admits(level, label: label, file: event.file, function: event.function, line: event.line)
        {
            return
        }
        core.submit(
            level: level, label: label, message: event.message.description, file: event.file,
            function: event.function, line: event.line, callMetadata: callMetadata(event),
            loggerMetadata: convertedMetadata, extraFlags: extraFlags)
    }

    private func callMetadata(_ event: LogEvent) -> LogMetadata {
        let provided = metadataProvider?.get() ?? [:]
        let explicit = event.metadata ?? [:]
        let error = event.error
        if provided.isEmpty && error == nil {
            return explicit.isEmpty ? LogMetadata() : LogMetadata(swiftLog: explicit)
        }
        var pairs: [(String, LogMetadataValue)] = []
        pairs.reserveCapacity(provided.count + explicit.count + (error == nil ? 0 : 2))
        // Skipping the provider's keys that the call sets keeps the pairs unique (the fast path of
        // LogMetadata(pairs:)); the call's value wins either way.
        for (key, value) in provided where explicit[key] == nil {
            pairs.append((key, LogMetadataValue(swiftLog: value)))
        }
        for (key, value) in explicit {
            pairs.append((key, LogMetadataValue(swiftLog: value)))
        }
        pairs.sort { $0.0 < $1.0 }
        var metadata = LogMetadata(pairs: pairs)
        if let error {
            metadata["error.message"] = .string("\(error)")
            metadata["error.type"] = .string(String(reflecting: type(of: error)))
        }
        return metadata
    }
}

extension LogPipeline {
    /// A swift-log handler for `label` that logs into this pipeline (trait `SwiftLog`).
    ///
    /// ```swift
    /// LoggingSystem.bootstrap { label in pipeline.logHandler(label: label) }
    ///
    /// // with a metadata provider, e.g. one reading a tracing context:
    /// LoggingSystem.bootstrap(
    ///     { label, provider in pipeline.logHandler(label: label, metadataProvider: provider) },
    ///     metadataProvider: .init { ["trace_id": "\(TraceContext.current.id)"] }
    /// )
    /// ```
    ///
    /// - Parameters:
    ///   - label: The swift-log logger's label; the pipeline's per-label levels apply to it.
    ///   - metadataProvider: Metadata added to every record; default: the one bootstrapped with
    ///     `LoggingSystem`, if any.
    /// - Returns: The handler; cheap to create.
    public func logHandler(
        label: String,
        metadataProvider: Logging.Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) -> SluiceLogHandler {
        SluiceLogHandler(label: label, core: core, metadataProvider: metadataProvider)
    }
}
#endif
