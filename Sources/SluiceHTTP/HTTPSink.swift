import Foundation
import Sluice

/// POSTs batches of records to an HTTP endpoint: Vector, Fluent Bit, Logstash (NDJSON), an
/// OpenTelemetry Collector or Loki (OTLP/HTTP), Elasticsearch (`_bulk`).
///
/// ```swift
/// import Sluice
/// import SluiceHTTP
///
/// let otlp = try HTTPSink(
///     url: "http://127.0.0.1:4318/v1/logs",
///     encoding: OTLPLogsEncoding(serviceName: "checkout"),
///     headers: ["Authorization": "Bearer \(token)"],
///     gzip: true
/// )
/// let pipeline = try LogPipeline(sinks: [ConsoleSink(), otlp])
/// // later: otlp.stats.recordsSent, otlp.stats.retries, otlp.stats.failures, …
/// ```
///
/// Each batch from the pipeline becomes one request, or several when its body would exceed
/// `maxBatchBytes`. Requests go out one at a time from the sink's own thread with `URLSession`
/// (`FoundationNetworking`, so `https` works). Connection errors, timeouts, 5xx and 429 are retried
/// with backoff and jitter per `RetryOptions`, honouring `Retry-After`; other 4xx answers are not
/// retried and the batch is dropped. Redirects (3xx) are not followed: they are refused like a 4xx,
/// with an error naming the target (following one would resend the batch as a bodiless `GET` and
/// carry `Authorization` to another host). Only the first 64 KiB of an answer are read.
/// Batches that are given up on are counted as dropped
/// (`sinkFailure`) in the pipeline's stats and in ``stats``, and reported to the pipeline's
/// `InternalErrorHandler`.
///
/// - Important: While the receiver is away the sink holds at most
///   `RetryOptions/maxPendingBatches` batches and drops by `RetryOptions/overflow` beyond that,
///   so memory stays bounded and the pipeline is never held up. Delivery is at least once: a
///   request that timed out may have been processed and is sent again.
public actor HTTPSink: LogSink, SettlingSink {
    public nonisolated let name: String
    public nonisolated let level: LogLevel
    /// The endpoint.
    public nonisolated let url: URL
    private let encoding: any HTTPBodyEncoding
    private let gzip: Bool
    private let maxBatchBytes: Int
    private let compress: @Sendable ([UInt8]) -> [UInt8]?
    private let engine: DeliveryEngine
    private var output = LogOutput(capacity: 64 * 1024)

    /// Creates an HTTP sink. Nothing is sent until the first batch.
    ///
    /// - Parameters:
    ///   - url: An `http` or `https` URL, e.g. `http://127.0.0.1:4318/v1/logs`.
    ///   - level: The lowest level sent; default `.trace` (the pipeline's level decides).
    ///   - encoding: The body format; default ``NDJSONEncoding``.
    ///   - headers: Extra request headers, such as `Authorization`.
    ///   - gzip: Whether to compress bodies (`Content-Encoding: gzip`); default `false`. A body zlib
    ///     fails to compress goes plain, without the header.
    ///   - timeout: How long to wait for an answer; default 10 seconds.
    ///   - maxBatchBytes: The largest uncompressed body; larger batches are split. Default 1 MiB.
    ///   - retry: Backoff, retry budget and the bound on pending batches.
    ///   - name: The name in stats and errors; default `"http:<url>"` with the URL's user, password
    ///     and query shown as `***`.
    /// - Throws: `SluiceError` with code `SluiceError/Code/invalidConfiguration` for a URL that
    ///   is not `http`/`https` with a host, a non-positive timeout or byte cap, or a bad retry option.
    public init(
        url: String,
        level: LogLevel = .trace,
        encoding: any HTTPBodyEncoding = NDJSONEncoding(),
        headers: [String: String] = [:],
        gzip: Bool = false,
        timeout: Duration = .seconds(10),
        maxBatchBytes: Int = 1 << 20,
        retry: RetryOptions = RetryOptions(),
        name: String? = nil
    ) throws(SluiceError) {
        try self.init(
            url: url, level: level, encoding: encoding, headers: headers, gzip: gzip, timeout: timeout,
            maxBatchBytes: maxBatchBytes, retry: retry, name: name, compress: { Gzip.compress($0) })
    }

    /// The full initialiser, with the compressor as an input (tests pass one that fails).
    package init(
        url: String,
        level: LogLevel,
        encoding: any HTTPBodyEncoding,
        headers: [String: String],
        gzip: Bool,
        timeout: Duration,
        maxBatchBytes: Int,
        retry: RetryOptions,
        name: String?,
        compress: @escaping @Sendable ([UInt8]) -> [UInt8]?
    ) throws(SluiceError) {
        let parsed = URL(string: url)
        // Names, errors, stats and metric labels never show the URL's credentials or query values.
        let name = name ?? "http:\(parsed.map(HTTPRedaction.display) ?? HTTPRedaction.display(url))"
        func fail(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, "\(name): \(message)")
        }
        guard let parsed, let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            parsed.host?.isEmpty == false
        else {
            throw fail(
                "'\(HTTPRedaction.display(url))' is not an http or https URL with a host; use e.g. 'http://127.0.0.1:4318/v1/logs'"
            )
        }
        guard timeout > .zero else {
            throw fail("timeout is \(timeout); it must be positive (10 seconds is a good default)")
        }
        guard maxBatchBytes >= 1024 else { throw fail("maxBatchBytes is \(maxBatchBytes); it must be at least 1024") }
        let breaksLine: (Unicode.Scalar) -> Bool = { $0 == "\r" || $0 == "\n" }
        for (header, value) in headers
        where header.isEmpty || header.unicodeScalars.contains(where: { breaksLine($0) || $0 == ":" || $0 == " " })
            || value.unicodeScalars.contains(where: breaksLine)
        {
            throw fail("the header '\(header)' is empty, has a line break, or a colon or space in its name")
        }
        try retry.validate(sink: name)
        self.name = name
        self.level = level
        self.url = parsed
        self.encoding = encoding
        self.gzip = gzip
        self.maxBatchBytes = maxBatchBytes
        self.compress = compress
        engine = DeliveryEngine(
            name: name, options: retry,
            transport: HTTPTransport(
                url: parsed, headers: headers.sorted { $0.key < $1.key }, contentType: encoding.contentType,
                timeout: timeout))
    }

    /// What the sink delivered, retried and dropped; read from any thread without `await`.
    public nonisolated var stats: NetworkSinkStats { engine.stats }

    public nonisolated var bytesWritten: Int? { engine.stats.bytesSent }

    package func accept(_ records: [LogRecord], settlement: BatchSettlement) async throws {
        var payloads: [DeliveryPayload] = []
        encode(records[...], into: &payloads)
        await engine.submit(payloads, records: records.count, settlement: settlement)
    }

    /// Sends a batch and returns once it was delivered (used outside a pipeline).
    ///
    /// - Throws: `SluiceError` with code `SluiceError/Code/sinkFailed` when the batch was given up on.
    public func write(_ records: [LogRecord]) async throws {
        try await writeAndWait(records)
    }

    /// Waits until every accepted batch was delivered or given up on.
    public func flush() async throws {
        await engine.drain()
    }

    /// Drops what is still waiting for a retry (counted) and ends the session.
    public func close() async throws {
        await engine.close()
    }

    package nonisolated func abandonPending() {
        engine.abandon()
    }

    /// Encodes `records` into bodies of at most `maxBatchBytes` (a single record may exceed it),
    /// halving a chunk that does not fit.
    private func encode(_ records: ArraySlice<LogRecord>, into payloads: inout [DeliveryPayload]) {
        output.removeAll()
        encoding.encode(records, into: &output)
        if output.count > maxBatchBytes && records.count > 1 {
            let middle = records.startIndex + records.count / 2
            encode(records[..<middle], into: &payloads)
            encode(records[middle...], into: &payloads)
            return
        }
        var body = output.bytes
        var contentEncoding: String?
        if gzip, let compressed = compress(body) {
            body = compressed
            contentEncoding = "gzip"
        }
        payloads.append(
            DeliveryPayload(
                bytes: body, messageEnds: [body.count], records: records.count, contentEncoding: contentEncoding))
    }
}
