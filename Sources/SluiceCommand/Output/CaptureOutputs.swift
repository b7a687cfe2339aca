import Sluice
import SluiceHTTP

/// The pipeline `sluice` writes through and the sinks the options asked for.
struct CaptureOutputs {
    let pipeline: LogPipeline
    let files: LabelFileSink?
    let syslog: SyslogSink?
    let http: HTTPSink?

    /// Opens every output.
    ///
    /// - Throws: `SluiceError` naming the output that cannot be opened and why.
    static func open(_ options: CaptureOptions, label: String) throws(SluiceError) -> CaptureOutputs {
        // Room for the longest line after escaping (invalid UTF-8 takes 4 bytes a byte) and the
        // truncation marker, so the formats never cut a line a second time.
        let messageLimit = options.maxLineBytes * 4 + 64
        let format: any LogFormat =
            switch options.format {
            case .text: TextFormat(maxMessageBytes: messageLimit)
            case .json: JSONFormat(maxMessageBytes: messageLimit)
            case .logfmt: LogfmtFormat(maxMessageBytes: messageLimit)
            }
        var sinks: [any LogSink] = []
        var files: LabelFileSink?
        if let directory = options.directory {
            let sink = try LabelFileSink(
                directory: directory, format: format, rotation: options.rotation, durability: options.durability,
                maxOpenFiles: 4)
            files = sink
            sinks.append(sink)
        }
        var syslog: SyslogSink?
        if let transport = options.syslog {
            let sink = try SyslogSink(transport: transport, appName: label)
            syslog = sink
            sinks.append(sink)
        }
        var http: HTTPSink?
        if let url = options.http {
            let encoding: any HTTPBodyEncoding =
                switch options.httpEncoding {
                case .ndjson: NDJSONEncoding(format: JSONFormat(maxMessageBytes: messageLimit))
                case .otlp: OTLPLogsEncoding(serviceName: label)
                case .elasticsearch: ElasticsearchBulkEncoding(format: JSONFormat(maxMessageBytes: messageLimit))
                }
            let sink = try HTTPSink(url: url, encoding: encoding)
            http = sink
            sinks.append(sink)
        }
        if sinks.isEmpty {
            sinks.append(ConsoleSink(level: .trace, format: format, name: "stdout"))
        }
        let pipeline = try LogPipeline(
            sinks: sinks,
            level: .trace,
            // The program's environment is not sluice's configuration: LOG_LEVEL is the program's.
            levelEnvironmentVariable: nil,
            queue: QueueOptions(capacity: 4096, overflow: options.overflow),
            shutdownTimeout: options.drainTimeout
        )
        return CaptureOutputs(pipeline: pipeline, files: files, syslog: syslog, http: http)
    }
}
