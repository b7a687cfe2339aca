import Sluice

/// Applies a ``SQLiteSink``'s retention and checkpoints its write-ahead log, on a thread and a
/// connection of its own: deletes expired rows in chunks, each its own short transaction, then gives
/// the freed pages back with incremental vacuum; copies the write-ahead log into the database once it
/// holds ``checkpointPages`` pages. Never inside a batch's transaction, never on the writing thread
/// and never on Swift's cooperative pool. The thread also runs the sink's timers.
package final class SQLiteMaintenance: Sendable {
    package struct Settings: Sendable {
        package var path: String
        package var table: String
        package var busyTimeout: Duration
        package var retention: SQLiteRetention
        package var interval: Duration
        /// Rows per `DELETE`: small enough that a writer waits milliseconds for the lock.
        package var chunkRows: Int
        package var clock: WallClock
    }

    private struct State {
        var timer: ThreadExecutor.TimerHandle?
        var stopped = false
        var waiters: [Promise<Void>] = []
        var checkpointPending = false
    }

    /// The write-ahead log's size, in pages, that starts a checkpoint (SQLite's own default).
    package static let checkpointPages = 1_000

    /// The connection, opened on the maintenance thread at the first pass.
    //
    // @unchecked Sendable is safe: `connection` is read and written only by passes, which all run on
    // `executor`'s one thread, one at a time.
    private final class ConnectionSlot: @unchecked Sendable {
        var connection: SQLiteConnection?
    }

    /// The maintenance thread, also used for the sink's timers.
    package let executor: ThreadExecutor
    private let settings: Settings
    private let stats: SQLiteSinkStatsRecorder
    private let state = LockedValue(State())
    private let slot = ConnectionSlot()

    package init(settings: Settings, stats: SQLiteSinkStatsRecorder) {
        self.settings = settings
        self.stats = stats
        executor = ThreadExecutor(name: "sluice-sqlite-\(settings.table)")
    }

    /// Schedules the first pass now and the next ones every `interval` (nothing when retention
    /// keeps everything).
    package func start() {
        guard !settings.retention.keepsEverything else { return }
        schedule(at: .now)
    }

    /// Runs a pass now and waits for it (tools and tests).
    package func runPass() async {
        let done = Promise<Void>()
        let running = state.withLock { state in
            guard !state.stopped else { return false }
            state.waiters.append(done)
            return true
        }
        guard running else { return }
        executor.schedule(at: .now) { [self] in
            pass()
        }
        await done.wait()
    }

    /// Stops scheduling passes, waits for one in progress, closes the connection and lets the
    /// thread end.
    package func stop() async {
        stopScheduling()
        let closed = Promise<Void>()
        executor.schedule(at: .now) { [slot] in
            slot.connection?.close()
            slot.connection = nil
            closed.fulfill(())
        }
        await closed.wait()
        executor.stop()
    }

    /// The writer committed and the write-ahead log holds `pages` pages: checkpoints in the
    /// background once it is large enough. Called on the writer's thread; does not block.
    package func committed(walPages pages: Int) {
        guard pages >= Self.checkpointPages else { return }
        let start = state.withLock { state in
            guard !state.stopped, !state.checkpointPending else { return false }
            state.checkpointPending = true
            return true
        }
        guard start else { return }
        executor.schedule(at: .now) { [self] in
            checkpoint()
        }
    }

    /// A passive checkpoint: copies what it can without waiting for readers or the writer.
    private func checkpoint() {
        state.withLock { $0.checkpointPending = false }
        guard !state.withLock({ $0.stopped }) else { return }
        do throws(SQLiteFailure) {
            try openConnection().execute("PRAGMA wal_checkpoint(PASSIVE)")
            stats.update { $0.checkpoints += 1 }
        } catch {
            slot.connection?.close()
            slot.connection = nil
            stats.recordError("checkpoint failed: \(error.explanation(database: settings.path)); retrying later")
        }
    }

    /// Stops scheduling passes and lets the thread end without waiting (for a sink that was never
    /// closed); the connection closes when the last pass is done.
    package func cancel() {
        stopScheduling()
        executor.stop()
    }

    private func stopScheduling() {
        let timer: ThreadExecutor.TimerHandle? = state.withLock { state in
            state.stopped = true
            defer { state.timer = nil }
            return state.timer
        }
        if let timer {
            executor.cancel(timer)
        }
    }

    private func schedule(at deadline: ContinuousClock.Instant) {
        state.withLock { state in
            guard !state.stopped else { return }
            state.timer = executor.schedule(at: deadline) { [self] in
                pass()
            }
        }
    }

    /// One pass: delete by age, by row count and by size, vacuum, record. Runs on the thread.
    private func pass() {
        let waiters: [Promise<Void>] = state.withLock { state in
            defer { state.waiters = [] }
            return state.stopped ? [] : state.waiters
        }
        defer {
            for waiter in waiters {
                waiter.fulfill(())
            }
        }
        guard !state.withLock({ $0.stopped }) else { return }
        do throws(SQLiteFailure) {
            let connection = try openConnection()
            let result = try apply(connection)
            stats.update { stats in
                stats.rowsDeleted += result.deleted
                stats.bytesReclaimed += result.reclaimed
                stats.databaseBytes = result.databaseBytes
                stats.retentionPasses += 1
            }
        } catch {
            slot.connection?.close()
            slot.connection = nil
            stats.problem(
                .retentionFailed,
                "retention (\(settings.retention)) failed: \(error.explanation(database: settings.path)); retrying at the next pass"
            ) { $0.retentionErrors += 1 }
        }
        if !settings.retention.keepsEverything {
            schedule(at: ContinuousClock.now.advanced(by: settings.interval))
        }
    }

    private func openConnection() throws(SQLiteFailure) -> SQLiteConnection {
        if let connection = slot.connection {
            return connection
        }
        let connection = try SQLiteConnection(path: settings.path, busyTimeout: settings.busyTimeout)
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        slot.connection = connection
        return connection
    }

    private struct PassResult {
        var deleted = 0
        var reclaimed = 0
        var databaseBytes = 0
    }

    private func apply(_ connection: SQLiteConnection) throws(SQLiteFailure) -> PassResult {
        let table = settings.table
        let retention = settings.retention
        var result = PassResult()
        let pageSize = try connection.integer("PRAGMA page_size") ?? 4096
        let pagesBefore = try connection.integer("PRAGMA page_count") ?? 0
        if let maxAge = retention.maxAge {
            let (seconds, attoseconds) = maxAge.components
            let age = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            let cutoff =
                age.overflow
                ? Int64.min
                : settings.clock.now().nanosecondsSinceEpoch &- (age.partialValue + attoseconds / 1_000_000_000)
            result.deleted += try deleteInChunks(
                connection,
                "DELETE FROM \"\(table)\" WHERE id IN (SELECT id FROM \"\(table)\" WHERE time_ns < ?1 ORDER BY time_ns LIMIT ?2)",
                bound: cutoff)
        }
        if let maxRows = retention.maxRows, let newest = try connection.integer("SELECT max(id) FROM \"\(table)\"") {
            result.deleted += try deleteInChunks(
                connection,
                "DELETE FROM \"\(table)\" WHERE id IN (SELECT id FROM \"\(table)\" WHERE id <= ?1 ORDER BY id LIMIT ?2)",
                bound: newest - Int64(maxRows))
        }
        if let maxBytes = retention.maxBytes {
            // Rows are deleted oldest first in rounds sized by the mean row's share of the pages in
            // use (an underestimate, as the schema's own pages count too), until the pages in use
            // fit; each round re-measures.
            for _ in 0..<16 {
                let used = try usedBytes(connection, pageSize: pageSize)
                guard used > maxBytes,
                    let oldest = try connection.integer("SELECT min(id) FROM \"\(table)\""),
                    let newest = try connection.integer("SELECT max(id) FROM \"\(table)\"")
                else { break }
                let rows = max(newest - oldest + 1, 1)
                let bytesPerRow = max(used / rows, 1)
                let excess = (used - maxBytes) / bytesPerRow + 1
                let deleted = try deleteInChunks(
                    connection,
                    "DELETE FROM \"\(table)\" WHERE id IN (SELECT id FROM \"\(table)\" WHERE id < ?1 ORDER BY id LIMIT ?2)",
                    bound: oldest + excess)
                result.deleted += deleted
                if deleted == 0 {
                    break
                }
            }
        }
        // Give free pages back to the file system, a bounded number per transaction. A database
        // created elsewhere without incremental auto-vacuum reuses its free pages instead.
        if try connection.integer("PRAGMA auto_vacuum") == 2 {
            var free = try connection.integer("PRAGMA freelist_count") ?? 0
            while free > 0 {
                try connection.execute("PRAGMA incremental_vacuum(2048)")
                let left = try connection.integer("PRAGMA freelist_count") ?? 0
                guard left < free else { break }
                free = left
            }
        }
        let pagesAfter = try connection.integer("PRAGMA page_count") ?? 0
        if pagesAfter < pagesBefore {
            // The database file shrinks once the change is checkpointed from the write-ahead log.
            try connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            result.reclaimed = Int((pagesBefore - pagesAfter) * pageSize)
        }
        result.databaseBytes = Int(try usedBytes(connection, pageSize: pageSize))
        return result
    }

    private func usedBytes(_ connection: SQLiteConnection, pageSize: Int64) throws(SQLiteFailure) -> Int64 {
        let pages = try connection.integer("PRAGMA page_count") ?? 0
        let free = try connection.integer("PRAGMA freelist_count") ?? 0
        return (pages - free) * pageSize
    }

    /// Runs a `DELETE … LIMIT ?2` with `?1 = bound` until it deletes fewer than a chunk; each run is
    /// its own transaction. Returns the rows deleted.
    private func deleteInChunks(_ connection: SQLiteConnection, _ sql: String, bound: Int64) throws(SQLiteFailure)
        -> Int
    {
        let statement = try connection.prepare(sql)
        defer { statement.finalize() }
        var total = 0
        while !state.withLock({ $0.stopped }) {
            try statement.bind(1, bound)
            try statement.bind(2, Int64(settings.chunkRows))
            do {
                try statement.step()
            } catch {
                statement.reset()
                throw error
            }
            statement.reset()
            let deleted = connection.changes
            total += deleted
            if deleted < settings.chunkRows {
                break
            }
        }
        return total
    }
}
