import CSQLite
import Sluice

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes records into a table of a SQLite database: queryable logs in one file, with the same
/// guarantees as `FileSink`.
///
/// ```swift
/// import Sluice
/// import SluiceSQLite
///
/// let sqlite = try SQLiteSink(
///     path: "/var/log/myapp/logs.db",
///     retention: [.age(days: 14), .bytes(4 << 30)],
///     durability: .flushEvery(.seconds(1))
/// )
/// let pipeline = try LogPipeline(sinks: [ConsoleSink(), sqlite])
/// ```
///
/// ```sh
/// sqlite3 /var/log/myapp/logs.db \
///   "SELECT time, level_name, label, message, metadata ->> 'request_id' FROM logs_view WHERE level >= 5 ORDER BY id DESC LIMIT 20"
/// ```
///
/// **Schema** (version 1; the version of each table is kept in `sluice_schema`, and a newer Sluice
/// migrates older tables forward when it opens them):
///
/// | Column | Type | Content |
/// |---|---|---|
/// | `id` | `INTEGER PRIMARY KEY` | Increases with every row, in the order rows were written. |
/// | `time_ns` | `INTEGER` | The record's timestamp, nanoseconds since 1970-01-01 UTC. |
/// | `level` | `INTEGER` | 0 trace, 1 debug, 2 info, 3 notice, 4 warning, 5 error, 6 critical. |
/// | `label` | `TEXT` | The logger's label (at most 1 KiB). |
/// | `message` | `TEXT` | The message, as logged, up to `maxMessageBytes`. |
/// | `metadata` | `TEXT` | A JSON object (`NULL` without metadata): query it with `->>`, `json_extract`, `json_each`. |
/// | `source_file`, `source_function`, `source_line` | `TEXT`, `TEXT`, `INTEGER` | Where it was logged (`NULL` with `includeSource: false`). |
/// | `sequence` | `INTEGER` | The record's sequence number in its pipeline. |
///
/// Indexes: `<table>_time (time_ns)`, `<table>_level (level, time_ns)`, `<table>_label (label, time_ns)`.
/// The view `<table>_view` adds `time` (`2026-11-23T12:00:00.123Z`, UTC, milliseconds) and
/// `level_name` (`trace` … `critical`), computed when read.
///
/// **Writing.** Each batch is one transaction (`BEGIN IMMEDIATE` … `COMMIT`) of prepared `INSERT`s,
/// on the sink's own thread. The database runs in WAL mode, so readers (the `sqlite3` shell, another
/// process) query while the sink writes and never block it. Text is stored as it is, without
/// escaping: NUL characters and quotes included. Messages and metadata strings longer than
/// `maxMessageBytes` are cut at a character boundary and marked `…[truncated, N bytes]`.
///
/// **Durability** (`Durability`): every policy commits each batch before it counts as written, so
/// a crash of the process never loses a written record and never corrupts the database. For a
/// power loss: `.noSync` keeps `synchronous=NORMAL` and syncs at SQLite's checkpoints and at close;
/// `.flushEvery(interval)` commits with `synchronous=FULL` at least every `interval` (a timer covers
/// an idle sink) and on flush; `.fsyncOnFlush` on every flush and at close; `.fsyncEveryBatch`
/// commits every batch with `synchronous=FULL`.
///
/// **Retention** (``SQLiteRetention``) by age, row count and size runs on a thread and connection of
/// its own, deleting in chunks and vacuuming incrementally so the file really shrinks.
///
/// **Failures** (`FailurePolicy`): a busy (locked), full or failing database is retried with
/// jittered backoff; after repeated failures the circuit breaker stops touching it until a probe
/// succeeds. A batch the sink gives up on is thrown, so the pipeline counts it as dropped
/// (`sinkFailure`) and reports it to `onInternalError`; the optional fallback sink receives it. A
/// locked, read-only, corrupt or foreign database is a `SluiceError` at creation.
///
/// - Important: `stats` can be read from any thread without `await`. The sink needs write access to
///   the database's directory for the `-wal` and `-shm` files, which take the database's mode.
public actor SQLiteSink: LogSink, LevelFollowingSink {
    public nonisolated let name: String
    public nonisolated let level: LogLevel
    package nonisolated let followsPipelineLevel: Bool
    /// The database file, as given.
    public nonisolated let path: String
    /// The table records go to.
    public nonisolated let table: String
    private let engine: SQLiteWriteEngine
    private let maintenance: SQLiteMaintenance
    private let recorder: SQLiteSinkStatsRecorder
    private let fallback: (any LogSink)?
    private var closed = false

    /// Opens (or creates) the database and its table.
    ///
    /// - Parameters:
    ///   - path: The database file; relative paths are relative to the working directory. Missing
    ///     parent directories are created (mode 0750).
    ///   - table: The table's name: letters, digits and `_`; default `logs`.
    ///   - level: The lowest level written; default: every record the pipeline logs (the pipeline's level decides).
    ///   - durability: When commits are forced to disk; default `Durability/flushEvery(_:)` with
    ///     one second.
    ///   - retention: Which rows to keep; default ``SQLiteRetention/everything``.
    ///   - retentionInterval: The time between two retention passes; default one minute.
    ///   - busyTimeout: How long a statement waits for another connection's lock; default 5 s.
    ///   - maxMessageBytes: Messages and metadata strings longer than this are truncated with a
    ///     marker; default 64 KiB, at most 256 MiB.
    ///   - includeSource: Whether to fill the source columns; default `true`.
    ///   - failure: Retries and circuit breaker, as for `FileSink`.
    ///   - fallback: A sink that receives the batches this sink gives up on; default none.
    ///   - mode: Permissions of a database the sink creates; default `0o640`.
    ///   - allowWorldWritableDirectory: Accept a directory any user may write to; default `false`.
    ///   - name: The name in stats and errors; default `"sqlite:<path>"`.
    /// - Throws: `SluiceError` with code `SluiceError/Code/fileOpenFailed` when the database
    ///   cannot be opened or set up (locked, read-only, corrupt, not a database, a table of that name
    ///   not made by Sluice, a newer schema), with the reason and what to do;
    ///   `SluiceError/Code/invalidConfiguration` for an invalid table name or option.
    public init(
        path: String,
        table: String = "logs",
        level: LogLevel? = nil,
        durability: Durability = .flushEvery(.seconds(1)),
        retention: SQLiteRetention = .everything,
        retentionInterval: Duration = .seconds(60),
        busyTimeout: Duration = .seconds(5),
        maxMessageBytes: Int = 64 * 1024,
        includeSource: Bool = true,
        failure: FailurePolicy = FailurePolicy(),
        fallback: (any LogSink)? = nil,
        mode: UInt32 = 0o640,
        allowWorldWritableDirectory: Bool = false,
        name: String? = nil
    ) throws(SluiceError) {
        try self.init(
            path: path, table: table, level: level, durability: durability, retention: retention,
            retentionInterval: retentionInterval, busyTimeout: busyTimeout, maxMessageBytes: maxMessageBytes,
            includeSource: includeSource, failure: failure, fallback: fallback, mode: mode,
            allowWorldWritableDirectory: allowWorldWritableDirectory, name: name, clock: .system,
            retentionChunkRows: 5_000)
    }

    /// The full initialiser, with the wall clock (for retention by age) and the retention chunk size
    /// as inputs.
    package init(
        path: String,
        table: String,
        level: LogLevel?,
        durability: Durability,
        retention: SQLiteRetention,
        retentionInterval: Duration,
        busyTimeout: Duration,
        maxMessageBytes: Int,
        includeSource: Bool,
        failure: FailurePolicy,
        fallback: (any LogSink)?,
        mode: UInt32,
        allowWorldWritableDirectory: Bool,
        name: String?,
        clock: WallClock,
        retentionChunkRows: Int
    ) throws(SluiceError) {
        let name = name ?? "sqlite:\(path)"
        func invalid(_ message: String) -> SluiceError {
            SluiceError(.invalidConfiguration, "\(name): \(message)")
        }
        guard SQLiteSchema.isValidTableName(table) else {
            throw invalid(
                "'\(table)' is not a usable table name: use 1 to 58 letters, digits and '_', starting with a letter or '_' (not sqlite_… or sluice_schema)"
            )
        }
        guard busyTimeout >= .zero else { throw invalid("busyTimeout is \(busyTimeout); it must not be negative") }
        guard (64...(256 << 20)).contains(maxMessageBytes) else {
            throw invalid("maxMessageBytes is \(maxMessageBytes); use 64 bytes to 256 MiB (64 KiB is a good default)")
        }
        guard retentionInterval > .zero, retentionChunkRows > 0 else {
            throw invalid(
                "retentionInterval is \(retentionInterval); it must be positive (one minute is a good default)")
        }
        try Self.createFile(path, mode: mode_t(mode), allowWorldWritableDirectory: allowWorldWritableDirectory)

        let recorder = SQLiteSinkStatsRecorder()
        let maintenance = SQLiteMaintenance(
            settings: SQLiteMaintenance.Settings(
                path: path, table: table, busyTimeout: busyTimeout, retention: retention, interval: retentionInterval,
                chunkRows: retentionChunkRows, clock: clock),
            stats: recorder)
        let connection: SQLiteConnection
        let engine: SQLiteWriteEngine
        do throws(SQLiteSchemaError) {
            do throws(SQLiteFailure) {
                connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
                guard !connection.isReadOnly else {
                    throw SQLiteFailure(
                        code: SQLITE_READONLY, message: "opened read-only", systemErrno: EROFS, operation: "open")
                }
                // Set before the first table exists, so deleted rows' pages can be given back.
                try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
                let journal = try connection.text("PRAGMA journal_mode = WAL")
                guard journal == "wal" else {
                    throw SQLiteFailure(
                        code: SQLITE_CANTOPEN,
                        message: "the file system does not support WAL mode (journal mode stays '\(journal ?? "-")')",
                        systemErrno: 0, operation: "PRAGMA journal_mode")
                }
                try connection.execute("PRAGMA journal_size_limit = \(64 << 20)")
            } catch {
                throw .database(error)
            }
            try SQLiteSchema.migrate(connection, table: table)
            do throws(SQLiteFailure) {
                engine = try SQLiteWriteEngine(
                    connection: connection,
                    settings: SQLiteWriteEngine.Settings(
                        path: path, table: table, durability: durability, maxMessageBytes: maxMessageBytes,
                        includeSource: includeSource, failure: failure, fallback: fallback),
                    stats: recorder, timers: maintenance.executor)
                let pages = try connection.integer("PRAGMA page_count") ?? 0
                let free = try connection.integer("PRAGMA freelist_count") ?? 0
                let pageSize = try connection.integer("PRAGMA page_size") ?? 4096
                recorder.update { $0.databaseBytes = Int((pages - free) * pageSize) }
            } catch {
                throw .database(error)
            }
        } catch {
            maintenance.cancel()
            throw error.sluiceError(sink: name, path: path, table: table)
        }
        // Checkpoints run on the maintenance thread, not on the writer's after a commit.
        connection.onCommit { [weak maintenance] pages in maintenance?.committed(walPages: pages) }
        maintenance.start()
        self.name = name
        self.level = level ?? .trace
        followsPipelineLevel = level == nil
        self.path = path
        self.table = table
        self.engine = engine
        self.maintenance = maintenance
        self.recorder = recorder
        self.fallback = fallback
    }

    deinit {
        maintenance.cancel()
    }

    /// Creates missing parent directories and the database file with `mode` (SQLite would create it
    /// with 0644 less the umask; its `-wal` and `-shm` files take the database's mode).
    private static func createFile(_ path: String, mode: mode_t, allowWorldWritableDirectory: Bool) throws(SluiceError)
    {
        guard !path.isEmpty else {
            throw SluiceError(.fileOpenFailed, "the SQLite database path is empty; pass a path such as 'logs/app.db'")
        }
        let (directoryPath, fileName) = LogDirectory.split(path)
        guard !fileName.isEmpty, fileName != ".", fileName != ".." else {
            throw SluiceError(
                .fileOpenFailed, "cannot open SQLite database '\(path)': the path names a directory; add a file name")
        }
        let directory = try LogDirectory.open(directoryPath, allowWorldWritable: allowWorldWritableDirectory)
        let descriptor = directory.openFile(fileName, O_WRONLY | O_CREAT | O_EXCL, mode)
        if descriptor >= 0 {
            fchmod(descriptor, mode)
            closeDescriptor(descriptor)
        } else if errno != EEXIST {
            let error = errno
            throw SluiceError(
                .fileOpenFailed,
                "cannot create SQLite database '\(path)': \(SluiceError.describe(errno: error)); check that uid \(getuid()) may write to the directory",
                errno: error)
        }
    }

    /// This sink's counters: rows, batches, syncs, errors, retention, circuit state and latencies.
    /// Cheap, no `await`, safe from any thread.
    public nonisolated var stats: SQLiteSinkStats {
        recorder.snapshot
    }

    /// Commits `records` in one transaction.
    ///
    /// - Throws: `SluiceError` with code `SluiceError/Code/writeFailed` once the sink gave the
    ///   batch up (after retries, or at once while the circuit breaker is open).
    public func write(_ records: [LogRecord]) async throws(SluiceError) {
        guard !closed else {
            throw SluiceError(.writeFailed, "the SQLite sink for '\(path)' is closed")
        }
        try await engine.write(records)
        scheduleSyncTimer()
    }

    /// Forces what was committed to disk where the `Durability` policy asks for it.
    public func flush() async throws(SluiceError) {
        guard !closed else { return }
        try engine.flush()
    }

    /// Syncs what was committed, stops retention and closes the database.
    public func close() async throws(SluiceError) {
        guard !closed else { return }
        closed = true
        let syncFailure = engine.sync()
        if let fallback {
            try? await fallback.flush()
        }
        await maintenance.stop()
        let closeFailure = engine.close()
        if let failure = syncFailure ?? closeFailure {
            throw SluiceError(.writeFailed, "closing: \(failure.explanation(database: path))")
        }
    }

    /// Runs a retention pass now and waits for it.
    package func runRetention() async {
        await maintenance.runPass()
    }

    private func scheduleSyncTimer() {
        guard let deadline = engine.syncTimerDeadline() else { return }
        let timers = maintenance.executor
        timers.schedule(at: deadline) {
            Task(name: "sluice sqlite sync", executorPreference: timers) {
                await self.syncTimerFired()
            }
        }
    }

    private func syncTimerFired() {
        guard !closed else { return }
        engine.syncTimerFired()
        scheduleSyncTimer()
    }
}

extension SQLiteSink: ProblemReportingSink {
    package nonisolated func reportProblems(to report: @escaping @Sendable (InternalError.Kind, String) -> Void) {
        recorder.reportProblems(to: report)
    }
}

/// `close(2)`, out of reach of the actor's own `close()`.
private func closeDescriptor(_ descriptor: Int32) {
    close(descriptor)
}
