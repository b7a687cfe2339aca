#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends records to a syslog receiver (rsyslog, syslog-ng, journald, a collector) over UDP, TCP or
/// a Unix datagram socket.
///
/// ```swift
/// let syslog = try SyslogSink(
///     transport: .tcp(host: "127.0.0.1", port: 10514),
///     facility: .local0,
///     appName: "checkout"
/// )
/// let pipeline = try LogPipeline(sinks: [ConsoleSink(), syslog])
/// // later: syslog.stats.recordsSent, syslog.stats.connected, …
/// ```
///
/// Messages are RFC 5424 by default: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, with
/// PRI from the facility and the level (trace and debug → 7, info → 6, notice → 5, warning → 4,
/// error → 3, critical → 2), the logger label as MSGID and the metadata as one structured-data
/// element (`[sluice@32473 key="value" …]`). Over TCP each message is framed by octet counting
/// (RFC 6587), over UDP and Unix sockets each is one datagram.
///
/// The sink accepts batches into a bounded buffer and delivers them on a thread of its own, so a
/// receiver that is away never holds up the pipeline: failed sends are retried with backoff per
/// ``RetryOptions``, TCP reconnects, and batches that are given up on are counted as dropped
/// (`sinkFailure`) in the pipeline's stats and in ``stats``.
///
/// - Important: TCP: before each batch the sink checks that the receiver has not closed the
///   connection, and it waits until the receiver's kernel acknowledged every byte before it counts
///   a batch as written; after a broken connection it sends again what was not acknowledged. A
///   plain `send()` would succeed for the first message after the peer died, so a sink without
///   these checks loses it silently. What a receiver acknowledged but never processed (a crash with
///   data in its socket buffer) cannot be known by any TCP sender. UDP has no acknowledgement at
///   all: use it where losing a datagram is acceptable.
public actor SyslogSink: LogSink, SettlingSink, LevelFollowingSink {
    public nonisolated let name: String
    public nonisolated let level: LogLevel
    package nonisolated let followsPipelineLevel: Bool
    /// Where messages go.
    public nonisolated let transport: SyslogTransport
    private let encoder: SyslogEncoder
    private let engine: DeliveryEngine
    private var message = LogOutput(capacity: 4096)
    private var scratch = LogOutput(capacity: 4096)

    /// Creates a syslog sink. Nothing is connected until the first batch.
    ///
    /// - Parameters:
    ///   - transport: ``SyslogTransport/udp(host:port:)``, ``SyslogTransport/tcp(host:port:)`` or
    ///     ``SyslogTransport/unix(path:)``.
    ///   - level: The lowest level sent; default: every record the pipeline logs (the pipeline's level decides).
    ///   - format: ``SyslogMessageFormat/rfc5424`` (default) or ``SyslogMessageFormat/rfc3164``.
    ///   - facility: The facility in every priority; default ``SyslogFacility/user``.
    ///   - appName: APP-NAME (TAG in RFC 3164); default the executable's name.
    ///   - hostname: HOSTNAME; default `gethostname()`.
    ///   - messageID: MSGID; `nil` (default) uses each record's label.
    ///   - structuredDataID: The SD-ID of the metadata element; default `sluice@32473` (32473 is the
    ///     example enterprise number of RFC 5612; use your own if you have one).
    ///   - includeSequence: Adds `[meta sequenceId="N"]` with the record's sequence number, so a
    ///     receiver can spot gaps; default `false`.
    ///   - maxMessageBytes: The longest message; longer ones are cut with a visible
    ///     `…[truncated, N bytes]` marker. Default 2048 for UDP (what every receiver must accept,
    ///     RFC 5426), 8192 otherwise (rsyslog's default limit). At least 480.
    ///   - timeout: Connect, send and acknowledgement timeout; default 5 seconds.
    ///   - retry: Backoff, retry budget and the bound on pending batches.
    ///   - name: The name in stats and errors; default `"syslog:<transport>"`.
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/invalidConfiguration`` for an empty
    ///   host, a port outside 1...65535, a socket path too long, an invalid SD-ID or retry option.
    public init(
        transport: SyslogTransport,
        level: LogLevel? = nil,
        format: SyslogMessageFormat = .rfc5424,
        facility: SyslogFacility = .user,
        appName: String? = nil,
        hostname: String? = nil,
        messageID: String? = nil,
        structuredDataID: String = "sluice@32473",
        includeSequence: Bool = false,
        maxMessageBytes: Int? = nil,
        timeout: Duration = .seconds(5),
        retry: RetryOptions = RetryOptions(),
        name: String? = nil
    ) throws(SluiceError) {
        let name = name ?? "syslog:\(transport)"
        func fail(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, "\(name): \(message)")
        }
        switch transport.kind {
        case .udp(let host, let port), .tcp(let host, let port):
            guard !host.isEmpty else { throw fail("the host is empty; pass a name or address such as '127.0.0.1'") }
            guard (1...65_535).contains(port) else { throw fail("port \(port) is outside 1...65535") }
        case .unix(let path):
            guard !path.isEmpty, path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
                throw fail("the socket path '\(path)' is empty or longer than 107 bytes; use a shorter path")
            }
        }
        guard SyslogEncoder.isValidStructuredDataID(structuredDataID) else {
            throw fail(
                "'\(structuredDataID)' is not a valid SD-ID: use 1 to 32 printable ASCII characters without '=', ' ', ']' or '\"', such as 'app@32473'"
            )
        }
        var isUDP = false
        if case .udp = transport.kind { isUDP = true }
        let limit = maxMessageBytes ?? (isUDP ? 2048 : 8192)
        guard limit >= 480 else {
            throw fail("maxMessageBytes is \(limit); it must be at least 480 (every syslog receiver accepts 480)")
        }
        guard timeout > .zero else { throw fail("timeout is \(timeout); it must be positive") }
        try retry.validate(sink: name)

        var unixSocket = false
        if case .unix = transport.kind { unixSocket = true }
        self.name = name
        self.level = level ?? .trace
        followsPipelineLevel = level == nil
        self.transport = transport
        encoder = SyslogEncoder(
            format: format,
            facility: facility,
            hostname: hostname ?? Self.hostName(),
            appName: appName ?? Self.executableName(),
            procID: String(getpid()),
            labelAsMessageID: messageID == nil,
            fixedMessageID: messageID,
            structuredDataID: structuredDataID,
            includeSequence: includeSequence,
            maxMessageBytes: limit,
            omitHostname: unixSocket
        )
        engine = DeliveryEngine(
            name: name, options: retry, transport: SyslogSocketTransport(transport: transport, timeout: timeout))
    }

    /// What the sink delivered, retried and dropped; read from any thread without `await`.
    public nonisolated var stats: NetworkSinkStats { engine.stats }

    public nonisolated var bytesWritten: Int? { engine.stats.bytesSent }

    /// Encodes `records` and queues them for delivery (pipeline path).
    package func accept(_ records: [LogRecord], settlement: BatchSettlement) async throws {
        await engine.submit([encode(records)], records: records.count, settlement: settlement)
    }

    /// Sends a batch and returns once it was delivered (used outside a pipeline).
    ///
    /// - Throws: ``SluiceError`` with code ``SluiceError/Code/sinkFailed`` when the batch was given up on.
    public func write(_ records: [LogRecord]) async throws {
        try await writeAndWait(records)
    }

    /// Waits until every accepted batch was delivered or given up on.
    public func flush() async throws {
        await engine.drain()
    }

    /// Drops what is still waiting for a retry (counted), and closes the socket.
    public func close() async throws {
        await engine.close()
    }

    package nonisolated func abandonPending() {
        engine.abandon()
    }

    /// One payload: framed messages for TCP, one message per datagram otherwise.
    private func encode(_ records: [LogRecord]) -> DeliveryPayload {
        var output = LogOutput(capacity: records.count * 256)
        var ends: [Int] = []
        ends.reserveCapacity(records.count)
        for record in records {
            if transport.isStream {
                encoder.appendFrame(record, to: &output, message: &message, scratch: &scratch)
            } else {
                encoder.append(record, to: &output, scratch: &scratch)
            }
            ends.append(output.count)
        }
        return DeliveryPayload(bytes: output.bytes, messageEnds: ends, records: records.count)
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "-" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func executableName() -> String {
        let path = CommandLine.arguments.first ?? "sluice"
        return path.split(separator: "/").last.map(String.init) ?? "sluice"
    }
}
