import CSQLite
import Sluice

/// Writes batches into the log table, one transaction each through prepared statements, with
/// retries, the circuit breaker, the fallback sink and the durability policy. Owned and called by
/// one ``SQLiteSink`` (its async methods run isolated to that actor).
package final class SQLiteWriteEngine {
    package struct Settings {
        package var path: String
        package var table: String
        package var durability: Durability
        package var maxMessageBytes: Int
        package var includeSource: Bool
        package var failure: FailurePolicy
        package var fallback: (any LogSink)?
    }

    private let settings: Settings
    private let connection: SQLiteConnection
    private let insert: SQLiteStatement
    private let begin: SQLiteStatement
    private let commit: SQLiteStatement
    private let markSynced: SQLiteStatement
    private let stats: SQLiteSinkStatsRecorder
    /// The maintenance thread, whose timers time the retry backoff.
    private let timers: ThreadExecutor
    private var retry: RetryStateMachine<ContinuousClock>
    /// One row's text (label, message, metadata JSON, source), bound to the statement without copies.
    private var row = LogOutput(capacity: 4096)
    /// Whether the connection runs with `synchronous=FULL` now.
    private var synchronousFull: Bool
    /// When the write-ahead log was last forced to disk, and whether commits came after that.
    private var lastSync = ContinuousClock.now
    private var unsynced = false
    private var syncTimerPending = false

    /// Prepares the statements on `connection`, which the schema step left ready.
    package init(
        connection: SQLiteConnection, settings: Settings, stats: SQLiteSinkStatsRecorder, timers: ThreadExecutor
    ) throws(SQLiteFailure) {
        let columns = SQLiteSchema.insertedColumns
        let placeholders = (1...columns.count).map { "?\($0)" }.joined(separator: ", ")
        insert = try connection.prepare(
            "INSERT INTO \"\(settings.table)\" (\(columns.joined(separator: ", "))) VALUES (\(placeholders))")
        begin = try connection.prepare("BEGIN IMMEDIATE")
        commit = try connection.prepare("COMMIT")
        markSynced = try connection.prepare("UPDATE sluice_schema SET synced_ns = ?1 WHERE name = ?2")
        synchronousFull = settings.durability == .fsyncEveryBatch
        try connection.execute("PRAGMA synchronous = \(synchronousFull ? "FULL" : "NORMAL")")
        self.connection = connection
        self.settings = settings
        self.stats = stats
        self.timers = timers
        retry = RetryStateMachine(policy: settings.failure)
    }

    /// Finalizes the statements and closes the connection (SQLite checkpoints the write-ahead log
    /// into the database when the last connection closes).
    package func close() -> SQLiteFailure? {
        for statement in [insert, begin, commit, markSynced] {
            statement.finalize()
        }
        // SQLite's advice for every connection that closes: refresh the planner's statistics where
        // they are stale, looking at a bounded number of rows per index.
        try? connection.execute("PRAGMA analysis_limit = 1000; PRAGMA optimize")
        return connection.close()
    }

    // MARK: Writing

    /// Writes `records` in one transaction, retrying transient failures with backoff. Throws once it
    /// gives up, after handing the records to the fallback sink.
    package func write(_ records: [LogRecord], isolation: isolated (any Actor) = #isolation) async throws(SluiceError) {
        let started = ContinuousClock.now
        defer { stats.recordWrite(duration: started.duration(to: .now)) }
        if case .reject(let until) = retry.batchArrived(now: .now) {
            let wait = ContinuousClock.now.duration(to: until)
            await giveUp(records)
            throw SluiceError(
                .writeFailed,
                "not writing to the SQLite database '\(settings.path)' for another \(wait): the circuit breaker is open after repeated failures (last: \(stats.snapshot.lastError ?? "unknown"))"
            )
        }
        updateCircuit()
        while true {
            guard let failure = attempt(records) else {
                retry.attemptSucceeded()
                updateCircuit()
                return
            }
            let message = failure.explanation(database: settings.path)
            stats.update { stats in
                stats.writeErrors += 1
                stats.lastError = message
            }
            let action = retry.attemptFailed(now: .now, transient: failure.isTransient)
            updateCircuit()
            switch action {
            case .retry(let delay):
                // A thread of the sink's own times the backoff: Task.sleep's wake-up is a job on
                // Swift's cooperative pool, which producers parked under `block` can saturate.
                await timers.sleep(until: ContinuousClock.now.advanced(by: delay))
            case .giveUp(let circuitOpened):
                await giveUp(records)
                let suffix =
                    circuitOpened
                    ? "; the circuit breaker is now open and batches are dropped until a probe succeeds" : ""
                throw SluiceError(
                    .writeFailed, message + suffix, errno: failure.systemErrno == 0 ? nil : failure.systemErrno)
            }
        }
    }

    /// One try: a transaction with one `INSERT` per record. Returns the failure, after rolling back.
    private func attempt(_ records: [LogRecord]) -> SQLiteFailure? {
        let syncNow = syncsThisBatch()
        do throws(SQLiteFailure) {
            if syncNow != synchronousFull {
                try setSynchronous(full: syncNow)
            }
            try run(begin)
            for record in records {
                try insertRow(record)
            }
            try run(commit)
        } catch {
            insert.reset()
            connection.rollbackIfNeeded()
            return error
        }
        committed(synced: syncNow)
        stats.update { stats in
            stats.rowsWritten += records.count
            stats.batchesWritten += 1
        }
        return nil
    }

    private func run(_ statement: SQLiteStatement) throws(SQLiteFailure) {
        defer { statement.reset() }
        try statement.step()
    }

    private func insertRow(_ record: LogRecord) throws(SQLiteFailure) {
        let limit = settings.maxMessageBytes
        row.removeAll()
        row.appendVerbatim(record.label, limit: 1024)
        let labelEnd = row.count
        row.appendVerbatim(record.message, limit: limit)
        let messageEnd = row.count
        if record.hasMetadata {
            row.appendJSONMetadata(of: record, limit: limit)
        }
        let metadataEnd = row.count
        if settings.includeSource {
            row.appendVerbatim(record.source.file, limit: 1024)
        }
        let fileEnd = row.count
        if settings.includeSource {
            row.appendVerbatim(record.source.function, limit: 1024)
        }
        let functionEnd = row.count
        try row.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws(SQLiteFailure) in
            func text(_ range: Range<Int>) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: bytes[range])
            }
            try insert.bind(1, record.timestamp.nanosecondsSinceEpoch)
            try insert.bind(2, Int64(record.level.rawValue))
            try insert.bind(3, text: text(0..<labelEnd))
            try insert.bind(4, text: text(labelEnd..<messageEnd))
            if metadataEnd > messageEnd {
                try insert.bind(5, text: text(messageEnd..<metadataEnd))
            } else {
                try insert.bindNull(5)
            }
            if settings.includeSource {
                try insert.bind(6, text: text(metadataEnd..<fileEnd))
                try insert.bind(7, text: text(fileEnd..<functionEnd))
                try insert.bind(8, Int64(clamping: record.source.line))
            } else {
                try insert.bindNull(6)
                try insert.bindNull(7)
                try insert.bindNull(8)
            }
            try insert.bind(9, Int64(bitPattern: record.sequence))
            try insert.step()
        }
        insert.reset()
    }

    private func giveUp(_ records: [LogRecord], isolation: isolated (any Actor) = #isolation) async {
        stats.update { $0.recordsGivenUp += records.count }
        guard let fallback = settings.fallback else { return }
        let rest = records.filter { $0.level >= fallback.level }
        guard !rest.isEmpty else { return }
        do {
            try await fallback.write(rest)
            stats.update { $0.fallbackRecords += rest.count }
        } catch {
            stats.recordError("the fallback sink '\(fallback.name)' failed too: \(error)")
        }
    }

    private func updateCircuit() {
        let circuit = retry.circuit
        stats.update { $0.circuitState = circuit }
    }

    // MARK: Durability

    /// Whether this batch's commit forces the write-ahead log to disk.
    private func syncsThisBatch() -> Bool {
        switch settings.durability.kind {
        case .everyBatch: true
        case .noSync, .onFlush: false
        case .interval(let interval): lastSync.duration(to: .now) >= interval
        }
    }

    private func setSynchronous(full: Bool) throws(SQLiteFailure) {
        try connection.execute("PRAGMA synchronous = \(full ? "FULL" : "NORMAL")")
        synchronousFull = full
    }

    private func committed(synced: Bool) {
        if synced {
            lastSync = .now
            unsynced = false
            stats.update { $0.syncs += 1 }
        } else {
            unsynced = true
        }
    }

    /// Forces what was committed so far to disk: a one-row commit with `synchronous=FULL` syncs the
    /// whole write-ahead log. Does nothing when nothing is unsynced.
    package func sync() -> SQLiteFailure? {
        guard unsynced else { return nil }
        do throws(SQLiteFailure) {
            if !synchronousFull {
                try setSynchronous(full: true)
            }
            try run(begin)
            try markSynced.bind(1, LogTimestamp.now().nanosecondsSinceEpoch)
            try markSynced.bind(2, copying: settings.table)
            try run(markSynced)
            try run(commit)
        } catch {
            connection.rollbackIfNeeded()
            return error
        }
        committed(synced: true)
        return nil
    }

    /// A flush: syncs when the policy asks for it.
    package func flush() throws(SluiceError) {
        let started = ContinuousClock.now
        defer { stats.recordFlush(duration: started.duration(to: .now)) }
        guard settings.durability != .noSync, let failure = sync() else { return }
        let message = failure.explanation(database: settings.path)
        stats.recordError(message)
        throw SluiceError(.writeFailed, "syncing failed: \(message)")
    }

    /// For `Durability/flushEvery(_:)`: when to look again for unsynced commits (an idle sink gets
    /// no batch to do it), or `nil` when no timer is needed or one is pending.
    package func syncTimerDeadline() -> ContinuousClock.Instant? {
        guard case .interval(let interval) = settings.durability.kind, unsynced, !syncTimerPending else { return nil }
        syncTimerPending = true
        return lastSync.advanced(by: interval)
    }

    /// The sync timer fired: sync if due.
    package func syncTimerFired() {
        syncTimerPending = false
        guard case .interval(let interval) = settings.durability.kind, unsynced,
            lastSync.duration(to: .now) >= interval
        else { return }
        if let failure = sync() {
            stats.recordError(failure.explanation(database: settings.path))
        }
    }
}
