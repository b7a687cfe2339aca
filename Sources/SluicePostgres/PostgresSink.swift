import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes records into a PostgreSQL table with `COPY`, one transaction per batch, for services that
/// log to a shared database server.
///
/// ```swift
/// import Sluice
/// import SluicePostgres
///
/// let postgres = try await PostgresSink(
///     connection: .init(host: "db.internal", database: "app", user: "logger", password: secret, tls: .verifyFull()),
///     table: "logs",
///     partitionByDay: true
/// )
/// let pipeline = try LogPipeline(sinks: [ConsoleSink(), postgres])
/// // later: postgres.stats.delivery.recordsSent, postgres.stats.connections, …
/// ```
///
/// **Schema** (created if missing, with `sluice_schema` holding its version):
///
/// | Column | Type | Content |
/// |---|---|---|
/// | `time` | `timestamptz` | The record's timestamp (PostgreSQL keeps microseconds). |
/// | `level` | `smallint` | 0 trace, 1 debug, 2 info, 3 notice, 4 warning, 5 error, 6 critical. |
/// | `label` | `text` | The logger's label (at most 1 KiB). |
/// | `message` | `text` | The message, up to `maxMessageBytes`. |
/// | `metadata` | `jsonb` | The metadata (`NULL` without): `metadata->>'request_id'`, `@>`, `jsonb_path_query`. |
/// | `source_file`, `source_function`, `source_line` | `text`, `text`, `integer` | Where it was logged. |
/// | `sequence` | `bigint` | The record's sequence number in its pipeline. |
///
/// Indexes: BRIN on `time`, B-tree on `(level, time)` and `(label, time)`. The view `<table>_view` adds
/// `level_name` (`trace` … `critical`), computed when read. With `partitionByDay`
/// the table is partitioned by range of `time`, and the sink creates each day's partition
/// (`<table>_pYYYYMMDD`, UTC days) before the first batch that needs it; old days go with
/// `DROP TABLE`. PostgreSQL's `text` and `jsonb` cannot hold NUL: it is stored as U+FFFD, and a
/// metadata key that held one also ends in `…[NUL replaced, fnv1a H]` (a hash of the key), so that it
/// never merges with another key.
///
/// **Delivery.** Batches go into a bounded buffer and are copied on a thread of the sink's own, so a
/// server that is away never holds up the pipeline. Connection failures reconnect with backoff
/// per `RetryOptions`; beyond `RetryOptions/maxPendingBatches` or the retry budget, batches are
/// dropped and counted (`sinkFailure`). Every batch commits together with a row in `sluice_batches`
/// keyed by the sink's writer id and the batch's number: when the connection breaks after `COMMIT`
/// was sent, the sink checks for that row after reconnecting and counts the batch as written if it
/// is there, or sends it again if not, so **every record is written exactly once or counted as
/// dropped** (see ``PostgresSinkStats`` for the one case the sink cannot settle).
///
/// - Important: The password is never part of the sink's name, its stats, its errors or metrics
///   labels; the default name is `postgres:<host>:<port>/<database>/<table>`. The role needs
///   `CREATE` on the schema for the first start (or a table made for it), then `INSERT` on the log
///   table and `INSERT`, `SELECT`, `DELETE` on `sluice_batches`.
public actor PostgresSink: LogSink, SettlingSink {
    public nonisolated let name: String
    public nonisolated let level: LogLevel
    /// The table records go to.
    public nonisolated let table: String
    private let engine: DeliveryEngine
    private let recorder: PostgresSinkStatsRecorder
    private var encoder: PostgresCopyEncoder
    private var nextTag: UInt64 = 1

    /// Creates the sink, connects and sets the table up (unless `requireConnection` is `false`).
    ///
    /// - Parameters:
    ///   - connection: Where to connect and as whom.
    ///   - table: The table: letters, digits and `_`, at most 53; default `logs`. Created if missing,
    ///     in the connection's current schema (`search_path`).
    ///   - level: The lowest level written; default `.trace` (the pipeline's level decides).
    ///   - partitionByDay: Whether a new table is partitioned by day; default `false`. An existing
    ///     table must match.
    ///   - maxMessageBytes: Messages and metadata strings longer than this are truncated with a
    ///     marker; default 64 KiB, at most 256 MiB.
    ///   - includeSource: Whether to fill the source columns; default `true`.
    ///   - timeout: Connecting, and noticing a server that vanished; default 10 seconds. Sets libpq's
    ///     `connect_timeout`, `tcp_user_timeout` and keepalives.
    ///   - retry: Backoff, retry budget and the bound on pending batches.
    ///   - requireConnection: Whether creating the sink connects and throws when it cannot (default).
    ///     With `false` the sink starts without the server and connects with its first batch.
    ///   - name: The name in stats and errors; default `"postgres:<host>:<port>/<database>/<table>"`.
    /// - Throws: `SluiceError` with code `SluiceError/Code/sinkFailed` when the server cannot be
    ///   reached or refuses the login (the message says why and what to check, never the password),
    ///   `SluiceError/Code/invalidConfiguration` for an invalid option or a table the sink cannot
    ///   use (not its columns, partitioned differently, set up by a newer Sluice).
    public init(
        connection: PostgresConnectionOptions,
        table: String = "logs",
        level: LogLevel = .trace,
        partitionByDay: Bool = false,
        maxMessageBytes: Int = 64 * 1024,
        includeSource: Bool = true,
        timeout: Duration = .seconds(10),
        retry: RetryOptions = RetryOptions(),
        requireConnection: Bool = true,
        name: String? = nil
    ) async throws(SluiceError) {
        let name = name ?? "postgres:\(connection)/\(table)"
        let invalid = { (message: String) in SluiceError(.invalidConfiguration, "\(name): \(message)") }
        if let string = connection.connectionString, !PostgresConnection.isParsable(string) {
            // libpq's message may quote part of the string, and with it a password: say it in our words.
            throw invalid(
                "libpq cannot parse the connection string (it is not repeated here, as it may hold a password); check it for a missing '=', an unbalanced quote or a malformed URL"
            )
        }
        guard PostgresSchema.isValidTableName(table) else {
            throw invalid(
                "'\(table)' is not a usable table name: use 1 to 53 letters, digits and '_', starting with a letter or '_'"
            )
        }
        guard (64...(256 << 20)).contains(maxMessageBytes) else {
            throw invalid("maxMessageBytes is \(maxMessageBytes); use 64 bytes to 256 MiB (64 KiB is a good default)")
        }
        guard timeout > .zero else { throw invalid("timeout is \(timeout); it must be positive") }
        try retry.validate(sink: name)

        let secrets = [connection.password, connection.connectionString.flatMap(PostgresConnection.password(in:))]
            .compactMap { $0 }
        let settings = PostgresTransport.Settings(
            name: name, connection: connection, table: table, partitioned: partitionByDay, timeout: timeout,
            writer: "\(String(UInt64.random(in: 0...UInt64.max), radix: 16))-\(getpid())", secrets: secrets)
        let recorder = PostgresSinkStatsRecorder()
        var opened: PostgresConnection?
        if requireConnection {
            opened = try await Self.open(settings, stats: recorder)
        }
        self.name = name
        self.level = level
        self.table = table
        self.recorder = recorder
        encoder = PostgresCopyEncoder(
            maxMessageBytes: maxMessageBytes, includeSource: includeSource, partitioned: partitionByDay)
        engine = DeliveryEngine(
            name: name, options: retry,
            transport: PostgresTransport(settings: settings, stats: recorder, connection: opened))
    }

    /// Hands a connection from the thread that opened it to the engine's thread, through a promise.
    //
    // @unchecked Sendable is safe: the connection is used by the opening thread until it fulfils the
    // promise and by the delivery engine's thread after that, never by two threads at once.
    private struct OpenedConnection: @unchecked Sendable {
        var connection: PostgresConnection
    }

    /// Connects and sets the schema up on a thread of its own (libpq blocks), never on Swift's
    /// cooperative pool.
    private static func open(_ settings: PostgresTransport.Settings, stats: PostgresSinkStatsRecorder)
        async throws(SluiceError) -> PostgresConnection
    {
        let outcome = Promise<Result<OpenedConnection, PostgresSchemaError>>()
        SluiceThread.start(name: "sluice-pg-open") {
            do throws(PostgresSchemaError) {
                let connection = try PostgresTransport.open(settings, stats: stats)
                outcome.fulfill(.success(OpenedConnection(connection: connection)))
            } catch {
                outcome.fulfill(.failure(error))
            }
        }
        switch await outcome.wait() {
        case .success(let opened):
            return opened.connection
        case .failure(.database(let failure)):
            let text = PostgresTransport.scrub(failure.description, secrets: settings.secrets)
            throw SluiceError(
                .sinkFailed,
                "\(settings.name): cannot use PostgreSQL at \(settings.connection): \(text)\(Self.hint(for: text))")
        case .failure(let error):
            throw SluiceError(
                .invalidConfiguration, "\(settings.name): the table '\(settings.table)': \(error.explanation)")
        }
    }

    private static func hint(for message: String) -> String {
        if message.contains("password authentication failed") || message.contains("no password supplied") {
            return "; check the user and the password"
        }
        if message.contains("does not exist") {
            return "; check the database and user names"
        }
        if message.contains("Connection refused") {
            return "; check that the server runs and listens on that host and port (listen_addresses, port)"
        }
        if message.contains("timeout expired") {
            return "; check the host, the port and any firewall between"
        }
        if message.contains("SSL") || message.contains("certificate") {
            return "; check the TLS options"
        }
        if message.contains("permission denied") {
            return "; the role needs CREATE on the schema for the first start, then INSERT (see SluicePostgres)"
        }
        return ""
    }

    /// What the sink delivered, retried and dropped, and how its connections fared; read from any
    /// thread without `await`.
    public nonisolated var stats: PostgresSinkStats {
        recorder.snapshot(delivery: engine.stats)
    }

    public nonisolated var bytesWritten: Int? { engine.stats.bytesSent }

    /// Encodes `records` for `COPY` and queues them for delivery (pipeline path).
    package func accept(_ records: [LogRecord], settlement: BatchSettlement) async throws {
        let payload = encoder.encode(records, tag: nextTag)
        nextTag += 1
        await engine.submit([payload], records: records.count, settlement: settlement)
    }

    /// Copies a batch and returns once it was committed (used outside a pipeline).
    ///
    /// - Throws: `SluiceError` with code `SluiceError/Code/sinkFailed` when the batch was given up on.
    public func write(_ records: [LogRecord]) async throws {
        try await writeAndWait(records)
    }

    /// Waits until every accepted batch was committed or given up on.
    public func flush() async throws {
        await engine.drain()
    }

    /// Drops what is still waiting for a retry (counted) and closes the connection.
    public func close() async throws {
        await engine.close()
    }

    package nonisolated func abandonPending() {
        engine.abandon()
    }
}
