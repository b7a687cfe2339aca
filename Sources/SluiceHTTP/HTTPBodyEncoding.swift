import Sluice

/// How an ``HTTPSink`` turns a batch of records into a request body.
///
/// Sluice ships ``NDJSONEncoding`` (Vector, Fluent Bit, Logstash HTTP inputs),
/// ``OTLPLogsEncoding`` (OpenTelemetry Collector, Loki 3, any OTLP/HTTP endpoint) and
/// ``ElasticsearchBulkEncoding``. Write your own for another receiver:
///
/// ```swift
/// struct PlainLines: HTTPBodyEncoding {
///     var contentType: String { "text/plain; charset=utf-8" }
///     func encode(_ records: ArraySlice<LogRecord>, into output: inout LogOutput) {
///         for record in records {
///             output.appendEscaped(record.message, .text)
///             output.append("\n")
///         }
///     }
/// }
/// ```
///
/// - Important: Encodings run on the sink's own thread and must not block. They must escape
///   everything taken from a record. The sink may encode a subset of a batch again to respect its
///   byte cap, so `encode` must depend only on the records it is given.
public protocol HTTPBodyEncoding: Sendable {
    /// The `Content-Type` header of the request.
    var contentType: String { get }

    /// Appends the body for `records` to `output`.
    ///
    /// - Parameters:
    ///   - records: The records, in order.
    ///   - output: The buffer to append to (empty when called).
    func encode(_ records: ArraySlice<LogRecord>, into output: inout LogOutput)
}

extension HTTPBodyEncoding where Self == NDJSONEncoding {
    /// One JSON object per line (`JSONFormat`).
    public static var ndjson: NDJSONEncoding { NDJSONEncoding() }
}

extension HTTPBodyEncoding where Self == OTLPLogsEncoding {
    /// OTLP/HTTP JSON logs for `service.name` `serviceName`.
    ///
    /// - Parameter serviceName: The resource's `service.name`.
    /// - Returns: The encoding.
    public static func otlp(serviceName: String) -> OTLPLogsEncoding {
        OTLPLogsEncoding(serviceName: serviceName)
    }
}
