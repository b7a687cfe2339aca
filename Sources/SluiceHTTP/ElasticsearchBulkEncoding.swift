import Sluice

/// The Elasticsearch (and OpenSearch) `_bulk` API: a `{"create":{}}` action line before each JSON
/// document. Point the sink at `/<data-stream-or-index>/_bulk`.
///
/// ```swift
/// let sink = try HTTPSink(url: "http://127.0.0.1:9200/logs-app-default/_bulk",
///                         encoding: ElasticsearchBulkEncoding(),
///                         headers: ["Authorization": "ApiKey \(key)"])
/// ```
///
/// - Important: Elasticsearch answers 200 even when single documents fail (`"errors": true` in the
///   response); the sink counts a batch as delivered on any 2xx. Check the cluster's ingest
///   failures, or ship through Vector or Logstash when you need per-document accounting.
public struct ElasticsearchBulkEncoding: HTTPBodyEncoding {
    /// The document format; default `JSONFormat` (Elasticsearch maps `timestamp` as a date when
    /// the index template says so; data streams want `@timestamp`, see ``timestampField``).
    public var format: JSONFormat
    /// When `true` (default), each document also gets `@timestamp`, which data streams require.
    public var timestampField: Bool

    /// Creates a bulk encoding.
    ///
    /// - Parameters:
    ///   - format: The document format; default `JSONFormat`.
    ///   - timestampField: Whether to add `@timestamp`; default `true`.
    public init(format: JSONFormat = JSONFormat(), timestampField: Bool = true) {
        self.format = format
        self.timestampField = timestampField
    }

    public var contentType: String { "application/x-ndjson" }

    public func encode(_ records: ArraySlice<LogRecord>, into output: inout LogOutput) {
        for record in records {
            output.append("{\"create\":{}}\n")
            if timestampField {
                output.append("{\"@timestamp\":\"")
                output.appendTimestamp(record.timestamp, fractionDigits: 6)
                output.append("\",")
                let start = output.count
                format.write(record, to: &output)
                // Splice: drop the document's own opening brace.
                output.remove(at: start)
            } else {
                format.write(record, to: &output)
            }
        }
    }
}
