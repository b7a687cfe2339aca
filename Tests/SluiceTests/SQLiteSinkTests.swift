import Foundation
import Sluice
import SluiceSQLite
import SluiceTesting
import Testing

/// Fast retries and a quick probe, so failure tests run in milliseconds.
private let fastFailure = FailurePolicy(
    attempts: 2, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(2), jitter: 0.2, openCircuitAfter: 2,
    probeAfter: .milliseconds(20), maxProbeInterval: .milliseconds(20))

/// A sink with a manual clock and small retention chunks.
private func makeSink(
    _ path: String,
    retention: SQLiteRetention = .everything,
    durability: Durability = .flushEvery(.seconds(1)),
    busyTimeout: Duration = .seconds(5),
    maxMessageBytes: Int = 64 * 1024,
    failure: FailurePolicy = FailurePolicy(),
    clock: WallClock = .system
) throws(SluiceError) -> SQLiteSink {
    try SQLiteSink(
        path: path, table: "logs", level: .trace, durability: durability, retention: retention,
        retentionInterval: .seconds(3_600), busyTimeout: busyTimeout, maxMessageBytes: maxMessageBytes,
        includeSource: true, failure: failure, fallback: nil, mode: 0o640, allowWorldWritableDirectory: false,
        name: nil, clock: clock, retentionChunkRows: 100)
}

private func records(_ count: Int, from first: Int = 0, at time: (Int) -> LogTimestamp = { _ in .now() })
    -> [LogRecord]
{
    (first..<first + count).map { index in
        var record = LogRecord(
            timestamp: time(index), level: .info, label: "db", message: "record \(index)",
            metadata: ["index": .integer(index)])
        record.sequence = UInt64(index + 1)
        return record
    }
}

@Suite struct SQLiteSinkTests {
    @Test func rowsFollowTheDocumentedSchemaAndAreQueryableWithJSONFunctions() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("logs.db").path
        let sink = try makeSink(path)
        let pipeline = try LogPipeline(sinks: [sink], level: .trace, levelEnvironmentVariable: nil)
        let log = pipeline.logger(label: "api", metadata: ["service": "checkout"])
        log.info("request handled", metadata: ["request_id": "r-1", "status": 200, "ms": 12.5])
        log.error("query failed", metadata: ["request_id": "r-1", "tags": ["db", "eu"], "retry": true])
        pipeline.logger(label: "plain").debug("no metadata at all")
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 3 && report.stats.isBalanced)

        let rows = try await sqliteRows(
            path,
            """
            SELECT id, time_ns, time, level, level_name, label, message, metadata ->> 'request_id',
                   metadata ->> 'status', json_extract(metadata, '$.tags[1]'), metadata ->> 'service',
                   source_file, source_line > 0, sequence, metadata
            FROM logs_view ORDER BY id
            """)
        #expect(rows.count == 3)
        let first = rows[0]
        #expect(first[0] as? Int == 1)
        let timeText = try #require(first[2] as? String)
        #expect(timeText.count == 24 && timeText.hasSuffix("Z") && timeText.contains("T"), "\(timeText)")
        let nanoseconds = try #require(first[1] as? Int)
        #expect(LogTimestamp(nanosecondsSinceEpoch: Int64(nanoseconds)).description.hasPrefix(timeText.prefix(19)))
        #expect(first[3] as? Int == 2 && first[4] as? String == "info")
        #expect(first[5] as? String == "api" && first[6] as? String == "request handled")
        #expect(first[7] as? String == "r-1" && first[8] as? Int == 200 && first[10] as? String == "checkout")
        #expect((first[11] as? String)?.hasSuffix("SQLiteSinkTests.swift") == true && first[12] as? Int == 1)
        #expect(rows.map { $0[13] as? Int } == [1, 2, 3], "the pipeline's sequence numbers")
        #expect(rows[1][4] as? String == "error" && rows[1][9] as? String == "eu")
        #expect(rows[2][14] is NSNull, "no metadata is NULL")

        let schema = try await sqliteRows(
            path,
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'logs' ORDER BY name")
        #expect(schema.map { $0[0] as? String } == ["logs_label", "logs_level", "logs_time"])
        #expect(try await sqliteInteger(path, "SELECT version FROM sluice_schema WHERE name = 'logs'") == 1)
        #expect(try await sqliteRows(path, "PRAGMA journal_mode").first?.first as? String == "wal")
        #expect(try await sqliteInteger(path, "PRAGMA auto_vacuum") == 2, "incremental vacuum")
        #expect(fileMode(path) == 0o640)
        #expect(sink.stats.rowsWritten == 3 && sink.stats.batchesWritten >= 1)
    }

    @Test func hostileTextIsStoredIntactOrTruncatedAsDocumented() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let invalidUTF8 = String(decoding: [0x66, 0xFF, 0xFE, 0x6F], as: UTF8.self)
        let hostile = [
            "nul\u{0}inside",
            invalidUTF8,
            "quotes ' \" `; DROP TABLE logs; --",
            "line\nbreak\r\ttab \u{1B}[31m red",
            "bidi \u{202E}evil and \u{2028} separator, emoji 🎉",
            "${jndi:ldap://example.com/a}",
        ]
        let huge = String(repeating: "x", count: 10 << 20)
        var batch = hostile.enumerated().map { index, text in
            LogRecord(
                level: .warning, label: "hostile\u{0}label", message: text,
                metadata: ["key 'q' \"d\"": .string(text), "nested": ["a": [1, 2.5, true, "\u{0}"]]],
                sequence: UInt64(index + 1))
        }
        batch.append(LogRecord(level: .info, label: "huge", message: huge, sequence: 100))

        let truncatingPath = directory.appendingPathComponent("default.db").path
        let truncating = try makeSink(truncatingPath)
        try await truncating.write(batch)
        try await truncating.close()
        let intactPath = directory.appendingPathComponent("intact.db").path
        let intact = try makeSink(intactPath, maxMessageBytes: 16 << 20)
        try await intact.write(batch)
        try await intact.close()

        for path in [truncatingPath, intactPath] {
            let script = """
                import json, sqlite3, sys
                connection = sqlite3.connect(sys.argv[1])
                rows = connection.execute(
                    "SELECT label, message, metadata FROM logs WHERE label != 'huge' ORDER BY id").fetchall()
                json.dump([[label, message, json.loads(metadata)] for label, message, metadata in rows], sys.stdout)
                """
            let rows = try #require(try await python(script, [path]) as? [[Any]])
            #expect(rows.count == hostile.count)
            for (row, text) in zip(rows, hostile) {
                #expect(row[0] as? String == "hostile\u{0}label", "NUL in a label is kept")
                #expect(row[1] as? String == text, "read back byte for byte: \(text.debugDescription)")
                let metadata = try #require(row[2] as? [String: Any])
                #expect(metadata["key 'q' \"d\""] as? String == text)
                let nested = try #require((metadata["nested"] as? [String: Any])?["a"] as? [Any])
                #expect(nested.count == 4 && nested[3] as? String == "\u{0}")
            }
        }
        #expect(try await sqliteInteger(truncatingPath, "SELECT count(*) FROM logs") == hostile.count + 1)
        let kept = try await sqliteRows(
            truncatingPath,
            "SELECT length(CAST(message AS BLOB)), substr(message, 1, 65536) = printf('%.*c', 65536, 'x'), substr(message, 65537) FROM logs WHERE label = 'huge'"
        )
        #expect(kept.first?[1] as? Int == 1, "the first 64 KiB are kept")
        #expect(kept.first?[2] as? String == "…[truncated, 10485760 bytes]")
        #expect(
            try await sqliteInteger(intactPath, "SELECT length(CAST(message AS BLOB)) FROM logs WHERE label = 'huge'")
                == 10 << 20)
    }

    @Test func randomHostileRecordsAreStoredAsPromised() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("random.db").path
        var hostile = HostileRecords(random: SeededRandom(seed: 21))
        let batch = (0..<300).map { index in
            var record = hostile.record()
            record.sequence = UInt64(index + 1)
            return record
        }
        let sink = try makeSink(path, maxMessageBytes: 1_000)
        try await sink.write(batch)
        try await sink.close()
        let rows = try await sqliteRows(
            path,
            """
            SELECT hex(label), hex(message), CAST(time_ns AS TEXT), level, sequence,
                   CASE WHEN metadata IS NULL THEN -1 ELSE (SELECT count(*) FROM json_each(metadata)) END
            FROM logs ORDER BY sequence
            """)
        #expect(rows.count == 300)
        for (row, record) in zip(rows, batch) {
            // SQLite keeps NUL; only the length limit applies.
            #expect(
                String(decoding: hexBytes(row[0] as? String ?? ""), as: UTF8.self)
                    == expectedSQLiteText(record.label, limit: 1_024))
            #expect(
                String(decoding: hexBytes(row[1] as? String ?? ""), as: UTF8.self)
                    == expectedSQLiteText(record.message, limit: 1_000))
            #expect(row[2] as? String == String(record.timestamp.nanosecondsSinceEpoch))
            #expect(row[3] as? Int == Int(record.level.rawValue))
            #expect(row[5] as? Int == (record.hasMetadata ? record.metadata.count : -1))
        }
    }

    @Test func durabilityPoliciesForceTheLogToDiskWhenTheyPromise() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }

        let everyBatch = try makeSink(path("every.db"), durability: .fsyncEveryBatch)
        for round in 0..<3 {
            try await everyBatch.write(records(10, from: round * 10))
        }
        #expect(everyBatch.stats.syncs == 3 && everyBatch.stats.batchesWritten == 3)
        try await everyBatch.close()

        let onFlush = try makeSink(path("flush.db"), durability: .fsyncOnFlush)
        try await onFlush.write(records(10))
        try await onFlush.write(records(10, from: 10))
        #expect(onFlush.stats.syncs == 0)
        try await onFlush.flush()
        #expect(onFlush.stats.syncs == 1, "one sync covers both commits")
        try await onFlush.flush()
        #expect(onFlush.stats.syncs == 1, "nothing new to sync")
        try await onFlush.close()

        let noSync = try makeSink(path("nosync.db"), durability: .noSync)
        try await noSync.write(records(10))
        try await noSync.flush()
        #expect(noSync.stats.syncs == 0)
        try await noSync.close()
        #expect(noSync.stats.syncs == 1, "close syncs whatever the policy")

        // An idle sink: the timer syncs at most the interval after the last commit.
        let interval = try makeSink(path("interval.db"), durability: .flushEvery(.milliseconds(50)))
        try await interval.write(records(10))
        let firstSyncs = interval.stats.syncs
        try await interval.write(records(10, from: 10))
        try await eventually("the sync timer ran") { interval.stats.syncs > firstSyncs }
        try await interval.close()
        for name in ["every.db", "flush.db", "nosync.db", "interval.db"] {
            #expect(try await sqliteInteger(path(name), "SELECT count(*) FROM logs") >= 10)
        }
    }

    /// Each database is filled by a sink that keeps everything, then reopened with retention: the
    /// pass at start-up applies it, and the pass the test runs after it finds nothing left to do.
    @Test func retentionByAgeRowsAndBytesDeletesTheOldestAndShrinksTheFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = utc("2026-01-10T00:00:00Z")
        let clock = ManualWallClock(now)
        let hour: Int64 = 3_600_000_000_000
        let hoursAgo = { (index: Int) in
            LogTimestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch - Int64(index) * hour)
        }
        func fill(_ path: String, _ batches: [[LogRecord]]) async throws {
            let sink = try makeSink(path)
            for batch in batches {
                try await sink.write(batch)
            }
            try await sink.close()
        }

        let agePath = directory.appendingPathComponent("age.db").path
        try await fill(agePath, [records(1_000, at: hoursAgo)])
        let byAge = try makeSink(agePath, retention: .age(days: 7), clock: clock.wallClock)
        await byAge.runRetention()
        #expect(try await sqliteInteger(agePath, "SELECT count(*) FROM logs") == 169, "hours 0 through 168 are kept")
        #expect(try await sqliteInteger(agePath, "SELECT max(sequence) FROM logs") == 169)
        #expect(byAge.stats.rowsDeleted == 831 && byAge.stats.retentionPasses == 2)
        clock.set(LogTimestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch + 24 * hour))
        await byAge.runRetention()
        #expect(byAge.stats.rowsDeleted == 831 + 24, "a day later, another day of rows goes")
        try await byAge.close()

        let rowsPath = directory.appendingPathComponent("rows.db").path
        try await fill(rowsPath, [records(1_000)])
        let byRows = try makeSink(rowsPath, retention: .rows(100))
        await byRows.runRetention()
        #expect(try await sqliteInteger(rowsPath, "SELECT count(*) FROM logs") == 100)
        #expect(try await sqliteInteger(rowsPath, "SELECT min(sequence) FROM logs") == 901, "the newest are kept")
        #expect(byRows.stats.rowsDeleted == 900)
        try await byRows.close()

        let bytesPath = directory.appendingPathComponent("bytes.db").path
        let padding = String(repeating: "p", count: 1_000)
        try await fill(
            bytesPath,
            (0..<10).map { round in
                (0..<500).map { LogRecord(level: .info, label: "fill", message: "\(round) \($0) \(padding)") }
            })
        let sizeBefore = try fileSize(bytesPath)
        #expect(sizeBefore > 5 << 20, "5,000 rows of 1 KB")
        let budget = 256 * 1024
        let bySize = try makeSink(bytesPath, retention: .bytes(budget))
        await bySize.runRetention()
        let stats = bySize.stats
        #expect(stats.databaseBytes <= budget, "\(stats)")
        #expect(stats.bytesReclaimed >= sizeBefore - budget - 64 * 1024, "\(stats)")
        let sizeAfter = try fileSize(bytesPath)
        #expect(sizeAfter <= budget + 64 * 1024, "the file itself shrank from \(sizeBefore) to \(sizeAfter) bytes")
        let left = try await sqliteInteger(bytesPath, "SELECT count(*) FROM logs")
        #expect(left > 100 && left < 300, "about 200 rows of 1 KB fit")
        #expect(stats.rowsDeleted == 5_000 - left)
        #expect(
            try await sqliteInteger(bytesPath, "SELECT count(*) FROM logs WHERE message LIKE '9 499 %'") == 1,
            "the newest row is kept")
        try await bySize.write(records(10))
        try await bySize.close()
    }

    @Test func aCorruptOrForeignFileIsAClearErrorAtCreation() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage.db").path
        try Data(String(repeating: "this is not a database\n", count: 400).utf8).write(
            to: URL(fileURLWithPath: garbage))
        do {
            _ = try makeSink(garbage)
            Issue.record("a file that is not a database was accepted")
        } catch {
            #expect(error.code == .fileOpenFailed)
            #expect(error.message.contains("SQLITE_NOTADB") && error.message.contains("move it aside"), "\(error)")
            #expect(error.message.contains(garbage))
        }

        let foreign = directory.appendingPathComponent("foreign.db").path
        _ = try await sqliteRows(foreign, "CREATE TABLE logs (whatever TEXT)")
        #expect(throws: SluiceError.self) { _ = try makeSink(foreign) }
        do {
            _ = try makeSink(foreign)
        } catch {
            #expect(error.message.contains("Sluice did not create"), "\(error)")
        }
        #expect(throws: SluiceError.self) { _ = try SQLiteSink(path: foreign, table: "logs; DROP TABLE x") }

        // A symbolic link at the path is refused, as the file sink refuses one.
        let link = directory.appendingPathComponent("link.db").path
        symlink(foreign, link)
        do {
            _ = try makeSink(link)
            Issue.record("a symbolic link was followed")
        } catch {
            #expect(error.code == .fileOpenFailed && error.message.contains("symbolic link"), "\(error)")
        }
    }

    @Test func aDamagedTableCostsCountedDropsNotACrash() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("damaged.db").path
        let original = try makeSink(path)
        try await original.write(records(200))
        try await original.close()
        // Overwrite the table's root page with garbage; the schema pages stay intact.
        let rootPage = try await sqliteInteger(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'logs'")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64((rootPage - 1) * 4_096))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4_096))
        try handle.close()

        let sink = try makeSink(path, failure: fastFailure)
        let errors = ErrorCollector()
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil, onInternalError: errors.handler)
        let log = pipeline.logger(label: "damaged")
        for index in 0..<50 {
            log.info("record \(index)")
        }
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 0 && report.stats.dropped.sinkFailure == 50 && report.stats.isBalanced)
        #expect(errors.all.contains { $0.kind == .writeFailed && $0.message.contains("SQLITE_CORRUPT") })
        #expect(sink.stats.recordsGivenUp == 50 && sink.stats.writeErrors >= 1)
        #expect(sink.stats.lastError?.contains("damaged") == true)
    }

    @Test func aLockedDatabaseIsAClearErrorAtCreationAndRetriedWhileRunning() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("locked.db").path
        let running = try makeSink(path, busyTimeout: .milliseconds(100), failure: fastFailure)
        try await running.write(records(10))

        // Another process takes the write lock and keeps it until told to let go.
        let holder = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sqlite3, sys
                connection = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
                connection.execute("BEGIN IMMEDIATE")
                print("locked", flush=True)
                sys.stdin.readline()
                connection.execute("COMMIT")
                print("released", flush=True)
                """,
                path,
            ])
        defer { holder.kill() }
        _ = try await holder.waitForLine { $0 == "locked" }

        do {
            _ = try makeSink(path, busyTimeout: .milliseconds(100))
            Issue.record("a locked database was accepted")
        } catch {
            #expect(error.code == .fileOpenFailed)
            #expect(error.message.contains("SQLITE_BUSY") && error.message.contains("busy timeout"), "\(error)")
        }
        await #expect(throws: SluiceError.self) { try await running.write(records(10, from: 10)) }
        #expect(running.stats.writeErrors >= 2, "retried before giving up")
        #expect(running.stats.lastError?.contains("SQLITE_BUSY") == true)

        holder.send("go")
        _ = try await holder.waitForLine { $0 == "released" }
        // The circuit may be open after the failures: the probe comes within 20 ms.
        try await eventually("the sink writes again") {
            (try? await running.write(records(10, from: 20))) != nil
        }
        try await running.close()
        #expect(try await sqliteInteger(path, "SELECT count(*) FROM logs WHERE sequence > 20") == 10)
    }

    @Test func migrationsRunForwardAndANewerSchemaIsRefused() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("migrate.db").path
        let sink = try makeSink(path)
        try await sink.write(records(5))
        try await sink.close()

        // A later version adds a column; opening the table with it migrates it in place.
        let later =
            SQLiteSchema.migrations + [
                SQLiteMigration(version: 2) { table in ["ALTER TABLE \"\(table)\" ADD COLUMN host TEXT"] }
            ]
        let connection = try SQLiteConnection(path: path, busyTimeout: .seconds(5))
        #expect(try SQLiteSchema.migrate(connection, table: "logs", migrations: later) == 1)
        #expect(try SQLiteSchema.migrate(connection, table: "logs", migrations: later) == 2, "already migrated")
        connection.close()
        #expect(try await sqliteInteger(path, "SELECT version FROM sluice_schema WHERE name = 'logs'") == 2)
        #expect(try await sqliteInteger(path, "SELECT count(*) FROM logs WHERE host IS NULL") == 5, "rows are kept")

        do {
            _ = try makeSink(path)
            Issue.record("a newer schema was accepted")
        } catch {
            #expect(error.message.contains("schema version 2") && error.message.contains("newer Sluice"), "\(error)")
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root; skipped"))
    func aFullDiskDropsWithCountsAndRecoversOnceSpaceIsFreed() async throws {
        let mountPoint = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mounted = try await runProgram(
            "/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", mountPoint.path])
        guard mounted.status == 0 else {
            print("skipping the tmpfs test: mount -t tmpfs failed (status \(mounted.status)); it needs CAP_SYS_ADMIN")
            return
        }
        defer { _ = try? runProgramBlocking("/usr/bin/env", ["umount", "-l", mountPoint.path]) }
        let path = mountPoint.appendingPathComponent("logs.db").path
        let errors = ErrorCollector()
        let sink = try makeSink(path, failure: fastFailure)
        // Full batches only (the flushes below take the rest): every transaction adds pages of the
        // table and its indexes to the WAL, so a slow producer on a loaded machine, its records
        // going out one per 1 ms batch, filled the 1 MiB file system before the disk was filled on
        // purpose (ThreadSanitizer run: 64 transactions, SQLITE_FULL at record 65).
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 64, maxDelay: .seconds(600)), onInternalError: errors.handler)
        let log = pipeline.logger(label: "tmpfs")
        let padding = String(repeating: "p", count: 500)
        for index in 0..<100 {
            log.info("before \(index) \(padding)")
        }
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        #expect(pipeline.stats.written == 100, "\(pipeline.stats)")

        let filler = mountPoint.appendingPathComponent("filler").path
        let descriptor = open(filler, O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0x41, count: 4_096)
        while write(descriptor, block, block.count) > 0 {}
        close(descriptor)

        for index in 0..<1_000 {
            log.info("during \(index) \(padding)")
        }
        await pipeline.flush(timeout: .seconds(30))
        let full = pipeline.stats
        #expect(full.dropped.sinkFailure > 0, "the full disk must cost records")
        #expect(full.isBalanced)
        #expect(errors.all.contains { $0.message.contains("SQLITE_FULL") && $0.message.contains("full") })
        #expect(sink.stats.writeErrors > 0 && sink.stats.recordsGivenUp == full.dropped.sinkFailure)

        unlink(filler)
        try await eventually("writing resumes once space is free") {
            log.info("after")
            await pipeline.flush(timeout: .seconds(30))
            return sink.stats.circuitState == .closed && pipeline.stats.written > full.written
        }
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.isBalanced && report.stats.inFlight == 0)
        let rows = try await sqliteInteger(path, "SELECT count(*) FROM logs")
        #expect(rows == report.stats.written, "every committed row was counted as written, no more")
        #expect(sink.stats.rowsWritten == rows)
        #expect(try await sqliteInteger(path, "SELECT count(DISTINCT sequence) FROM logs") == rows)
        let check = try await sqliteRows(path, "PRAGMA integrity_check")
        #expect(check.first?.first as? String == "ok")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root; skipped"))
    func aReadOnlyDatabaseIsAClearErrorAtCreation() async throws {
        let mountPoint = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mounted = try await runProgram(
            "/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", mountPoint.path])
        guard mounted.status == 0 else {
            print("skipping the read-only test: mount -t tmpfs failed (status \(mounted.status))")
            return
        }
        defer { _ = try? runProgramBlocking("/usr/bin/env", ["umount", "-l", mountPoint.path]) }
        let path = mountPoint.appendingPathComponent("logs.db").path
        let sink = try makeSink(path)
        try await sink.write(records(3))
        try await sink.close()
        let remounted = try await runProgram("/usr/bin/env", ["mount", "-o", "remount,ro", mountPoint.path])
        #expect(remounted.status == 0)
        do {
            _ = try makeSink(path)
            Issue.record("a read-only database was accepted")
        } catch {
            #expect(error.code == .fileOpenFailed)
            #expect(error.message.contains("read-only"), "\(error)")
        }
    }
}

func fileSize(_ path: String) throws -> Int {
    try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
}

/// What the SQLite sink promises to store for `text`: cut at a character boundary after `limit`
/// bytes, then the marker; NUL and everything else as they are.
func expectedSQLiteText(_ text: String, limit: Int) -> String {
    let utf8 = Array(text.utf8)
    guard utf8.count > limit else { return text }
    var end = limit
    while end > 0 && utf8[end] & 0xC0 == 0x80 {
        end -= 1
    }
    return String(decoding: utf8[..<end], as: UTF8.self) + "…[truncated, \(utf8.count) bytes]"
}
