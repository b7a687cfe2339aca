import Foundation
import Sluice
import SluicePostgres
import SluiceSQLite
import Testing

/// A million records into each database, from 100 tasks. These run one at a time, so that together
/// they do not starve the timing-sensitive tests of other suites.
@Suite(.serialized) struct HeavyDatabaseTests {
    static let producers = 100
    static let recordsPerProducer = 10_000
    static var total: Int { producers * recordsPerProducer }

    /// Logs `recordsPerProducer` records from each producer in `range`, each on a thread of its own
    /// (the `block` policy parks producers' threads, which must not be the cooperative pool's).
    static func produce(_ log: SluiceLogger, _ range: Range<Int>) async {
        await onDedicatedThreads(range.count) { offset in
            let producer = range.lowerBound + offset
            for index in 0..<recordsPerProducer {
                log.info(
                    "request handled",
                    metadata: ["producer": .integer(producer), "index": .integer(index), "path": "/api/v1/items"])
            }
        }
    }

    @Test func sqliteHundredTasksTimesTenThousandRecordsLandExactlyOnceWhileAReaderQueries() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("heavy.db").path
        let sink = try SQLiteSink(path: path)
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil, queue: QueueOptions(overflow: .block))
        let log = pipeline.logger(label: "load")

        // Another process counts the rows while the load runs, printing every count it sees.
        let reader = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sqlite3, sys, time
                connection = sqlite3.connect(sys.argv[1], timeout=30)
                target, last, deadline = int(sys.argv[2]), -1, time.time() + 600
                while time.time() < deadline:
                    try:
                        count = connection.execute("SELECT count(*) FROM logs").fetchone()[0]
                    except Exception as error:
                        print("error", error, flush=True)
                        continue
                    if count != last:
                        print(count, flush=True)
                        last = count
                    if count >= target:
                        break
                    time.sleep(0.05)
                """,
                path, String(Self.total),
            ])
        defer { reader.kill() }
        _ = try await reader.waitForLine { $0 == "0" }

        // Half the producers, then a point the reader must see, then the other half.
        await Self.produce(log, 0..<Self.producers / 2)
        #expect(await pipeline.flush(timeout: .seconds(300)) == .completed)
        _ = try await reader.waitForLine(timeout: .seconds(120)) { $0 == String(Self.total / 2) }
        await Self.produce(log, Self.producers / 2..<Self.producers)
        let report = await pipeline.shutdown(timeout: .seconds(300))
        #expect(!report.timedOut)
        #expect(report.stats.written == Self.total && report.stats.dropped.total == 0)
        #expect(try await reader.wait() == 0)

        let counts = reader.output
        #expect(
            !counts.contains { $0.hasPrefix("error") },
            "the reader never failed: \(counts.filter { $0.hasPrefix("error") })")
        let seen = counts.compactMap(Int.init)
        #expect(seen == seen.sorted() && seen.last == Self.total, "the reader saw the table grow: \(seen)")
        #expect(seen.count >= 3)

        let rows = try await sqliteRows(
            path,
            """
            SELECT count(*), count(DISTINCT sequence), min(sequence), max(sequence),
                   count(DISTINCT (metadata ->> 'producer') || ':' || (metadata ->> 'index'))
            FROM logs
            """)
        #expect(rows.first?.compactMap { $0 as? Int } == [Self.total, Self.total, 1, Self.total, Self.total])
        #expect(sink.stats.rowsWritten == Self.total)
    }

    @Test(.enabled(if: PostgresServer.shouldRun, PostgresServer.skipMessage))
    func postgresHundredTasksTimesTenThousandRecordsLandExactlyOnce() async throws {
        let server = try await PostgresServer.started()
        let database = try await server.createDatabase()
        let sink = try await PostgresSink(connection: server.options(database: database))
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil, queue: QueueOptions(overflow: .block))
        await Self.produce(pipeline.logger(label: "load"), 0..<Self.producers)
        let report = await pipeline.shutdown(timeout: .seconds(300))
        #expect(!report.timedOut)
        #expect(report.stats.written == Self.total && report.stats.dropped.total == 0)
        let counts = try await server.sql(
            """
            SELECT count(*), count(DISTINCT sequence), min(sequence), max(sequence),
                   count(DISTINCT (metadata->>'producer') || ':' || (metadata->>'index'))
            FROM logs
            """, database: database)
        #expect(counts == "\(Self.total)|\(Self.total)|1|\(Self.total)|\(Self.total)")
        let stats = sink.stats
        #expect(stats.delivery.recordsSent == Self.total && stats.batchesInDoubt == 0 && stats.connections == 1)
        try await server.stop()
    }

    /// Producers keep logging while the server is stopped and started twice. What the table holds
    /// and what was counted as dropped add up to every record logged, and nothing is in it twice.
    @Test(.enabled(if: PostgresServer.shouldRun, PostgresServer.skipMessage))
    func postgresServerRestartedTwiceMidStreamLosesNothingUncounted() async throws {
        let server = try await PostgresServer.started()
        let database = try await server.createDatabase()
        let sink = try await PostgresSink(
            connection: server.options(database: database),
            retry: RetryOptions(
                initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(500), retryBudget: .seconds(120),
                maxPendingBatches: 16))
        let errors = ErrorCollector()
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 256, maxDelay: .milliseconds(10)), onInternalError: errors.handler)
        let log = pipeline.logger(label: "restarts")
        let running = LockedValue(true)
        let producers = Task {
            await withTaskGroup(of: Void.self) { group in
                for producer in 0..<Self.producers {
                    group.addTask {
                        var index = 0
                        while running.withLock({ $0 }) {
                            for _ in 0..<5 {
                                log.info(
                                    "record", metadata: ["producer": .integer(producer), "index": .integer(index)])
                                index += 1
                            }
                            // Pacing, not synchronisation: about 50,000 records a second in all.
                            try? await Task.sleep(for: .milliseconds(10))
                        }
                    }
                }
            }
        }
        for _ in 1...2 {
            let sent = sink.stats.delivery.recordsSent
            try await eventually("records reach the table") { sink.stats.delivery.recordsSent >= sent + 10_000 }
            try await server.stop()
            let dropped = sink.stats.delivery.droppedRecords.total
            try await eventually("the sink's bounded buffer overflows while the server is away") {
                sink.stats.delivery.droppedRecords.total > dropped
            }
            try await server.start()
        }
        let sent = sink.stats.delivery.recordsSent
        try await eventually("records reach the table after the restarts") {
            sink.stats.delivery.recordsSent >= sent + 10_000
        }
        running.withLock { $0 = false }
        await producers.value
        let report = await pipeline.shutdown(timeout: .seconds(120))
        #expect(!report.timedOut && report.stats.isBalanced && report.stats.inFlight == 0)

        let counts = try await server.sql("SELECT count(*), count(DISTINCT sequence) FROM logs", database: database)
        let stats = sink.stats
        #expect(counts == "\(report.stats.written)|\(report.stats.written)", "\(report.stats) \(stats)")
        #expect(report.stats.written + report.stats.dropped.total == report.stats.logged)
        #expect(report.stats.dropped.sinkFailure == stats.delivery.droppedRecords.total)
        #expect(stats.connections >= 3 && stats.inDoubtRecordsDropped == 0, "\(stats)")
        #expect(errors.all.contains { $0.kind == .deliveryRetrying }, "the outages were reported")
        #expect(errors.all.contains { $0.kind == .writeFailed && $0.message.contains("maxPendingBatches") })
        try await server.stop()
    }
}
