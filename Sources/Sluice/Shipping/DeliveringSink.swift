/// A sink that ships records to a receiver through a ``DeliveryEngine``: the way to write a Kafka,
/// Loki or in-house network sink with the guarantees and stats of Sluice's own (retries with backoff,
/// a bounded buffer, every batch written or counted, flush and shutdown that wait for delivery).
///
/// Provide the engine and ``encode(_:)``; everything else has a default. In a pipeline each batch
/// is encoded on the sink's own thread and handed to the engine, which delivers it in the
/// background; the batch counts as in flight until the engine has delivered or dropped it.
///
/// ```swift
/// actor LineSink: DeliveringSink {
///     nonisolated let name = "lines:127.0.0.1:5170"
///     nonisolated let level = LogLevel.info
///     nonisolated let engine: DeliveryEngine
///
///     init(port: Int) throws {
///         engine = try DeliveryEngine(name: name, transport: LineTransport(port: port))
///     }
///
///     func encode(_ records: [LogRecord]) -> [DeliveryPayload] {
///         let body = records.map { JSONFormat().render($0) + "\n" }.joined()
///         return [DeliveryPayload(bytes: Array(body.utf8), messageEnds: [body.utf8.count], records: records.count)]
///     }
/// }
/// ```
///
/// See <doc:WritingANetworkSink> for the whole sink, transport included.
///
/// - Important: ``encode(_:)`` runs on the sink's thread, one batch at a time, in order. The
///   engine's thread calls the transport; keep `encode` free of network I/O.
public protocol DeliveringSink: LogSink {
    /// The engine that delivers this sink's batches; one engine per sink.
    var engine: DeliveryEngine { get }

    /// Turns a batch into the payloads the transport sends (one request body, or several).
    ///
    /// - Parameter records: Records at or above the sink's level, in order.
    /// - Returns: The payloads, in order.
    /// - Throws: Any error: the batch is then counted as dropped for this sink.
    func encode(_ records: [LogRecord]) async throws -> [DeliveryPayload]
}

extension DeliveringSink {
    /// Sends a batch and returns once it was delivered (used outside a pipeline).
    ///
    /// - Parameter records: The records.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/sinkFailed`` when the batch was given up on.
    public func write(_ records: [LogRecord]) async throws {
        try await DeliveringSinkAdapter(self).writeAndWait(records)
    }

    /// Waits until every batch handed over so far was delivered or given up on.
    public func flush() async throws {
        await engine.drain()
    }

    /// Drops what still waits for a retry (counted) and closes the transport.
    public func close() async throws {
        await engine.close()
    }

    /// Bytes delivered so far.
    public var bytesWritten: Int? {
        engine.stats.bytesSent
    }
}

/// Runs a ``DeliveringSink`` in the pipeline the way the built-in network sinks run: batches settle
/// when the engine delivers or drops them.
package struct DeliveringSinkAdapter: SettlingSink {
    package let sink: any DeliveringSink

    package init(_ sink: any DeliveringSink) {
        self.sink = sink
    }

    package var name: String { sink.name }
    package var level: LogLevel { sink.level }

    package func accept(_ records: [LogRecord], settlement: BatchSettlement) async throws {
        let payloads = try await sink.encode(records)
        await sink.engine.submit(payloads, records: records.count, settlement: settlement)
    }

    package func abandonPending() {
        sink.engine.abandon()
    }

    package func write(_ records: [LogRecord]) async throws {
        try await writeAndWait(records)
    }

    package func flush() async throws {
        try await sink.flush()
    }

    package func close() async throws {
        try await sink.close()
    }
}
