import Sluice

/// Newline-delimited JSON: one object per record (`application/x-ndjson`), what the HTTP inputs
/// of Vector, Fluent Bit and Logstash accept.
///
/// ```swift
/// let sink = try HTTPSink(url: "http://127.0.0.1:8080/logs",
///                         encoding: NDJSONEncoding(format: JSONFormat(includeSequence: true)))
/// ```
public struct NDJSONEncoding: HTTPBodyEncoding {
    /// The line format; any `LogFormat` that writes one JSON object per line.
    public var format: any LogFormat

    /// Creates an NDJSON encoding.
    ///
    /// - Parameter format: The line format; default `JSONFormat`.
    public init(format: any LogFormat = JSONFormat()) {
        self.format = format
    }

    public var contentType: String { "application/x-ndjson" }

    public func encode(_ records: ArraySlice<LogRecord>, into output: inout LogOutput) {
        for record in records {
            format.write(record, to: &output)
        }
    }
}
