import Foundation
import Sluice
import SluicePostgres
import Testing

/// Quick retries, so outage tests take milliseconds per attempt.
let quickRetry = RetryOptions(
    initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(200), retryBudget: .seconds(120))

@Suite(.enabled(if: PostgresServer.shouldRun, PostgresServer.skipMessage), .postgresServer)
struct PostgresSinkTests {
    var server: PostgresServer {
        get throws { try #require(PostgresServerScope.server) }
    }

    @Test func rowsFollowTheDocumentedSchemaAndMetadataIsQueryableJSONB() async throws {
        let server = try server
        let database = try await server.createDatabase()
        let sink = try await PostgresSink(connection: server.options(database: database), table: "app_logs")
        #expect(sink.name == "postgres:127.0.0.1:\(server.port)/\(database)/app_logs")
        let pipeline = try LogPipeline(sinks: [sink], level: .trace, levelEnvironmentVariable: nil)
        let log = pipeline.logger(label: "api", metadata: ["service": "checkout"])
        log.info("request handled", metadata: ["request_id": "r-1", "status": 200, "ms": 12.5])
        log.error("query failed", metadata: ["request_id": "r-1", "tags": ["db", "eu"], "retry": true])
        pipeline.logger(label: "plain").debug("no metadata at all")
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.written == 3 && report.stats.isBalanced)

        let rows = try await server.sql(
            """
            SELECT level, level_name, label, message, metadata->>'request_id', (metadata->>'status')::int,
                   metadata->'tags'->>1, metadata->>'service', source_file LIKE '%PostgresSinkTests.swift',
                   source_line > 0, sequence, metadata IS NULL, to_char(time, 'YYYY')
            FROM app_logs_view ORDER BY sequence
            """, database: database
        ).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 3)
        #expect(rows[0].prefix(8) == ["2", "info", "api", "request handled", "r-1", "200", "", "checkout"])
        #expect(rows[0][8] == "t" && rows[0][9] == "t" && rows[0][10] == "1" && rows[0][11] == "f")
        #expect(rows[1][1] == "error" && rows[1][6] == "eu")
        #expect(rows[2][2] == "plain" && rows[2][11] == "t")
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        #expect(Int(rows[0][12]) == year)
        #expect(
            try await server.sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'app_logs' ORDER BY 1", database: database)
                == "app_logs_label\napp_logs_level\napp_logs_time")
        #expect(
            try await server.integer("SELECT version FROM sluice_schema WHERE name = 'app_logs'", database: database)
                == 1)
        #expect(
            try await server.integer("SELECT count(*) FROM sluice_batches", database: database) == 0,
            "closing cleans up")
        let stats = sink.stats
        #expect(stats.delivery.recordsSent == 3 && stats.connections == 1 && stats.batchesInDoubt == 0)
    }

    @Test func dayPartitionsAreCreatedForEachDayABatchCovers() async throws {
        let server = try server
        let database = try await server.createDatabase()
        let day: Int64 = 86_400_000_000_000
        let start = utc("2026-03-01T12:00:00Z").nanosecondsSinceEpoch
        let batch = (0..<30).map { index in
            LogRecord(
                timestamp: LogTimestamp(nanosecondsSinceEpoch: start + Int64(index % 3) * day), level: .info,
                label: "days", message: "record \(index)", sequence: UInt64(index + 1))
        }
        let first = try await PostgresSink(connection: server.options(database: database), partitionByDay: true)
        try await first.write(batch)
        #expect(first.stats.partitionsCreated == 3)
        try await first.close()
        // Another process's sink finds the partitions there.
        let second = try await PostgresSink(connection: server.options(database: database), partitionByDay: true)
        try await second.write(batch)
        try await second.close()
        #expect(
            try await server.sql(
                "SELECT c.relname, count(*) FROM logs l JOIN pg_class c ON c.oid = l.tableoid GROUP BY 1 ORDER BY 1",
                database: database) == "logs_p20260301|20\nlogs_p20260302|20\nlogs_p20260303|20")
        await #expect(throws: SluiceError.self) {
            _ = try await PostgresSink(connection: server.options(database: database), partitionByDay: false)
        }
    }

    @Test func hostileTextIsStoredAsDocumented() async throws {
        let server = try server
        let database = try await server.createDatabase()
        let sink = try await PostgresSink(connection: server.options(database: database))
        let huge = String(repeating: "x", count: 10 << 20)
        let batch = [
            LogRecord(
                level: .warning, label: "label\u{0}with nul", message: "nul\u{0}inside",
                metadata: ["key \u{0}": "value\u{0}", "quote": "it's \"quoted\" \\ back"], sequence: 1),
            LogRecord(level: .info, label: "injection", message: "'); DROP TABLE logs; --", sequence: 2),
            LogRecord(
                level: .info, label: "utf8", message: String(decoding: [0x66, 0xFF, 0x6F], as: UTF8.self), sequence: 3),
            LogRecord(level: .info, label: "huge", message: huge, sequence: 4),
        ]
        try await sink.write(batch)
        try await sink.close()
        let rows = try await server.sql(
            """
            SELECT label, message, (SELECT string_agg(key || '=' || value, ',') FROM jsonb_each_text(metadata)
                WHERE key LIKE 'key %'), metadata->>'quote' FROM logs ORDER BY sequence
            """, database: database
        ).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows[0].count == 4)
        #expect(rows[0][0] == "label\u{FFFD}with nul" && rows[0][1] == "nul\u{FFFD}inside")
        // The key's NUL is replaced too, and the key marked so that it stays apart from `key \u{FFFD}`.
        let key = try #require(rows[0][2].split(separator: "=", maxSplits: 1).first)
        #expect(key.hasPrefix("key \u{FFFD}…[NUL replaced, fnv1a ") && key.hasSuffix("]"))
        #expect(rows[0][2].hasSuffix("=value\u{FFFD}"))
        #expect(rows[0][3] == "it's \"quoted\" \\ back")
        #expect(rows[1][1] == "'); DROP TABLE logs; --")
        #expect(rows[2][1] == "f\u{FFFD}o")
        #expect(rows[3][1] == String(repeating: "x", count: 65_536) + "…[truncated, 10485760 bytes]")
    }

    @Test func randomHostileRecordsAreAllAcceptedAndReadBackAsPromised() async throws {
        let server = try server
        let database = try await server.createDatabase()
        var hostile = HostileRecords(random: SeededRandom(seed: 12))
        let batch = (0..<300).map { index in
            var record = hostile.record()
            record.sequence = UInt64(index + 1)
            return record
        }
        let sink = try await PostgresSink(connection: server.options(database: database), maxMessageBytes: 1_000)
        try await sink.write(batch)
        try await sink.close()
        #expect(sink.stats.delivery.recordsSent == 300 && sink.stats.delivery.droppedRecords.total == 0)
        let rows = try await server.sql(
            """
            SELECT encode(convert_to(label, 'UTF8'), 'hex'), encode(convert_to(message, 'UTF8'), 'hex'),
                   CASE WHEN metadata IS NULL THEN -1 ELSE (SELECT count(*) FROM jsonb_object_keys(metadata)) END
            FROM logs ORDER BY sequence
            """, database: database
        ).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 300)
        for (row, record) in zip(rows, batch) {
            #expect(
                String(decoding: hexBytes(row[0]), as: UTF8.self) == expectedPostgresText(record.label, limit: 1_024))
            #expect(
                String(decoding: hexBytes(row[1]), as: UTF8.self) == expectedPostgresText(record.message, limit: 1_000))
            #expect(Int(row[2]) == (record.hasMetadata ? record.metadata.count : -1))
        }
    }

    @Test func aWrongPasswordIsAClearErrorThatNeverShowsThePassword() async throws {
        let server = try server
        let wrong = "wrong-Pa55word-\(UUID().uuidString.prefix(6))"
        let options = server.options(user: PostgresServer.secretRole, password: wrong)
        do {
            _ = try await PostgresSink(connection: options)
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.code == .sinkFailed)
            #expect(error.message.contains("password authentication failed"), "\(error)")
            #expect(error.message.contains("check the user and the password"))
            #expect(!error.message.contains(wrong))
        }
        let url = "postgresql://\(PostgresServer.secretRole):\(wrong)@127.0.0.1:\(server.port)/postgres?sslmode=disable"
        do {
            _ = try await PostgresSink(connection: .connectionString(url))
            Issue.record("a wrong password in a URL was accepted")
        } catch {
            #expect(error.message.contains("password authentication failed") && !error.message.contains(wrong))
            #expect(!error.message.contains(url))
        }
        #expect(!"\(PostgresConnectionOptions.connectionString(url))".contains(wrong))

        // Started without the server's consent: the failures are counted and reported, still without it.
        let errors = ErrorCollector()
        let lazy = try await PostgresSink(
            connection: options, retry: RetryOptions(initialBackoff: .milliseconds(5), retryBudget: .milliseconds(100)),
            requireConnection: false)
        let pipeline = try LogPipeline(
            sinks: [lazy], level: .trace, levelEnvironmentVariable: nil, onInternalError: errors.handler)
        pipeline.logger(label: "secret").info("never stored")
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.dropped.sinkFailure == 1 && report.stats.isBalanced)
        let stats = lazy.stats
        #expect(stats.delivery.failures.connection > 0)
        #expect(stats.delivery.lastError?.contains("password authentication failed") == true)
        let everything = errors.all.map(\.description).joined() + "\(stats)" + lazy.name + "\(report)"
        #expect(!everything.contains(wrong), "the password leaked: \(everything)")

        let right = try await PostgresSink(
            connection: server.options(user: PostgresServer.secretRole, password: PostgresServer.secretPassword))
        try await right.write([LogRecord(level: .info, label: "ok", message: "with the right password")])
        try await right.close()
    }

    @Test func anUnknownCommitOutcomeIsSettledExactlyOnce() async throws {
        let server = try server
        let database = try await server.createDatabase()
        let proxy = try CommitCuttingProxy(target: server.port)
        defer { proxy.stop() }
        let options = PostgresConnectionOptions(
            host: "127.0.0.1", port: proxy.port, database: database, user: "postgres", tls: .disable,
            parameters: ["gssencmode": "disable"])
        let sink = try await PostgresSink(connection: options, retry: quickRetry)
        try await sink.write(batchRecords(100, from: 0))

        // The server commits, the answer is lost: after reconnecting the sink finds the batch there.
        proxy.arm(.afterCommit)
        try await sink.write(batchRecords(100, from: 100))
        // The COMMIT never reaches the server: after reconnecting the sink sends the batch again.
        proxy.arm(.beforeCommit)
        try await sink.write(batchRecords(100, from: 200))
        try await sink.write(batchRecords(100, from: 300))
        try await sink.close()

        #expect(proxy.cutCount == 2)
        let stats = sink.stats
        #expect(stats.batchesInDoubt == 2, "\(stats)")
        #expect(stats.inDoubtFoundCommitted == 1 && stats.inDoubtSentAgain == 1, "\(stats)")
        #expect(stats.connections == 3, "one reconnection after each cut")
        #expect(stats.delivery.recordsSent == 400 && stats.delivery.droppedRecords.total == 0)
        #expect(
            try await server.sql(
                "SELECT count(*), count(DISTINCT sequence), min(sequence), max(sequence) FROM logs", database: database)
                == "400|400|1|400", "every record exactly once")
    }

    @Test func aTableDroppedUnderTheSinkIsCreatedAgain() async throws {
        let server = try server
        let database = try await server.createDatabase()
        let sink = try await PostgresSink(connection: server.options(database: database), retry: quickRetry)
        try await sink.write(batchRecords(10, from: 0))
        try await server.sql("DROP TABLE logs CASCADE", database: database)
        try await sink.write(batchRecords(10, from: 10))
        try await sink.close()
        #expect(try await server.sql("SELECT count(*), min(sequence) FROM logs", database: database) == "10|11")
        #expect(sink.stats.delivery.retries >= 1 && sink.stats.delivery.droppedRecords.total == 0)
    }

    @Test func configurationErrorsAreClearAndMentionNoSecret() async throws {
        let server = try server
        let database = try await server.createDatabase()
        let bad = "host=127.0.0.1 password='unbalanced-s3cret dbname=x"
        do {
            _ = try await PostgresSink(connection: .connectionString(bad))
            Issue.record("an unparsable connection string was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration && !error.message.contains("s3cret"), "\(error)")
        }
        await #expect(throws: SluiceError.self) {
            _ = try await PostgresSink(connection: server.options(database: database), table: "logs; DROP TABLE x")
        }
        try await server.sql("CREATE TABLE other (id int)", database: database)
        do {
            _ = try await PostgresSink(connection: server.options(database: database), table: "other")
            Issue.record("a table without the sink's columns was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration && error.message.contains("lacks the columns"), "\(error)")
        }
        let closed = try freePort(type: SOCK_STREAM)
        do {
            _ = try await PostgresSink(
                connection: PostgresConnectionOptions(
                    host: "127.0.0.1", port: closed, database: "x", user: "x", password: "hidden-9", tls: .disable))
            Issue.record("a closed port was accepted")
        } catch {
            #expect(error.code == .sinkFailed && error.message.contains("Connection refused"), "\(error)")
            #expect(error.message.contains("check that the server runs") && !error.message.contains("hidden-9"))
        }
    }
}

/// `count` records with sequence numbers `first + 1 …`.
func batchRecords(_ count: Int, from first: Int) -> [LogRecord] {
    (first..<first + count).map { index in
        LogRecord(
            level: .info, label: "batch", message: "record \(index)", metadata: ["index": .integer(index)],
            sequence: UInt64(index + 1))
    }
}

/// The bytes of a hex string.
func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
        bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return bytes
}
