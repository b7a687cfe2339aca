import Foundation
import Sluice
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
}
