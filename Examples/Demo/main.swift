// sluice-demo: a small simulated server that logs the way a real one does.
//
// Concurrent workers handle "requests", each inside a task-local log context carrying its request id,
// and log at mixed levels: info and above to the console (text), debug and above to logs/demo.log
// (JSON Lines, rotated by size or daily, the last 5 archives kept gzipped), and with --sqlite to a
// SQLite database as well. At the end, or on Ctrl-C, the pipeline shuts down cleanly and the stats
// are printed. SIGHUP reopens the log file (logrotate).
//
//     swift run sluice-demo [--requests N] [--workers N] [--log-file PATH] [--rotate-bytes N] [--sqlite PATH]

import Dispatch
import Foundation
import Sluice
import SluiceSQLite

struct Options {
    var requests = 600
    var workers = 8
    var logFile = "logs/demo.log"
    var rotateBytes = 1 << 20
    var sqlite: String?

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--requests": requests = iterator.next().flatMap(Int.init) ?? requests
            case "--workers": workers = iterator.next().flatMap(Int.init) ?? workers
            case "--log-file": logFile = iterator.next() ?? logFile
            case "--rotate-bytes": rotateBytes = iterator.next().flatMap(Int.init) ?? rotateBytes
            case "--sqlite": sqlite = iterator.next()
            default:
                FileHandle.standardError.write(
                    Data(
                        "usage: sluice-demo [--requests N] [--workers N] [--log-file PATH] [--rotate-bytes N] [--sqlite PATH]\n"
                            .utf8))
                exit(2)
            }
        }
    }
}

let options = Options(arguments: CommandLine.arguments)

let pipeline: LogPipeline
let file: FileSink
let database: SQLiteSink?
do {
    file = try FileSink(
        path: options.logFile,
        level: .debug,
        format: JSONFormat(includeSource: true),
        rotation: RotationPolicy(
            trigger: .size(bytes: options.rotateBytes).or(.daily),
            keep: .files(5),
            compression: .gzip
        ),
        durability: .flushEvery(.milliseconds(100)),
        fallback: ConsoleSink(level: .warning, format: .json, stderrLevel: .trace, name: "fallback")
    )
    // Queryable logs next to the file: debug and above, a week's worth.
    database = try options.sqlite.map { try SQLiteSink(path: $0, level: .debug, retention: .age(days: 7)) }
    pipeline = try LogPipeline(
        sinks: [ConsoleSink(level: .info, format: .text), file] + (database.map { [$0] } ?? []),
        level: .debug,
        batching: BatchingOptions(maxRecords: 512, maxDelay: .milliseconds(50)),
        queue: QueueOptions(capacity: 65_536, overflow: .dropOldest)
    )
} catch {
    FileHandle.standardError.write(Data("sluice-demo: \(error)\n".utf8))
    exit(1)
}

let log = pipeline.logger(label: "demo", metadata: ["service": "checkout", "version": "1.4.2"])
let http = log.child("http")
let db = log.child("db", metadata: ["pool": "main"])

/// Simulates one request: a database query, sometimes slow, sometimes failing.
func handle(request number: Int, worker: Int) async {
    let requestID = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    let path = ["/api/v1/items", "/api/v1/cart", "/api/v1/checkout", "/health"].randomElement()!
    await LogContext.withMetadata(["request_id": "\(requestID)", "worker": .integer(worker)]) {
        let start = ContinuousClock.now
        http.debug("request received", metadata: ["method": "GET", "path": "\(path)"])
        let queryMilliseconds = Int.random(in: 1...40)
        db.debug("query", metadata: ["sql": "SELECT * FROM items WHERE id = $1", "ms": .integer(queryMilliseconds)])
        try? await Task.sleep(for: .milliseconds(queryMilliseconds))

        let roll = Int.random(in: 0..<100)
        let status: Int
        if roll < 4 {
            status = 500
            db.error("query failed", metadata: ["error": "connection reset by peer", "attempt": 1])
        } else if roll < 10 {
            status = 429
            http.warning("rate limited", metadata: ["limit": 100, "window_s": 60])
        } else {
            status = 200
        }
        if queryMilliseconds > 35 {
            db.notice("slow query", metadata: ["ms": .integer(queryMilliseconds), "threshold_ms": 35])
        }
        let elapsed = start.duration(to: .now)
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        http.info(
            "request handled",
            metadata: [
                "path": "\(path)", "status": .integer(status),
                "duration_ms": .double((milliseconds * 10).rounded() / 10),
            ]
        )
    }
}

let workload = Task {
    log.notice(
        "demo starting", metadata: ["requests": .integer(options.requests), "workers": .integer(options.workers)])
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<options.workers {
            group.addTask {
                var number = worker
                while number < options.requests && !Task.isCancelled {
                    await handle(request: number, worker: worker)
                    number += options.workers
                }
            }
        }
    }
    if Task.isCancelled {
        log.warning("interrupted: shutting down early")
    } else {
        log.notice("demo finished")
    }
}

// Ctrl-C stops the workload; the pipeline still drains everything that was logged.
signal(SIGINT, SIG_IGN)
let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
// The handler runs on a global queue, not the main actor: it only cancels the workload task.
interrupt.setEventHandler { @Sendable in workload.cancel() }
interrupt.resume()

// `kill -HUP` (as logrotate's postrotate does) reopens the log file.
signal(SIGHUP, SIG_IGN)
let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
hangup.setEventHandler { @Sendable in Task { await pipeline.reopenFiles() } }
hangup.resume()

await workload.value
let report = await pipeline.shutdown(timeout: .seconds(5))
print("")
print(report)
print("log file: \(file.stats)")
print("JSON log (debug and above): \(options.logFile), rotated every \(options.rotateBytes) bytes or daily")
if let database, let path = options.sqlite {
    print("SQLite database: \(database.stats)")
    print("query it: sqlite3 \(path) \"SELECT level_name, label, count(*) FROM logs_view GROUP BY 1, 2\"")
}
exit(report.timedOut ? 1 : 0)
