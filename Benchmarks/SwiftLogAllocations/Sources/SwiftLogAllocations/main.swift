// Heap allocations per log call on the calling thread: swift-log through SluiceLogHandler next to
// the same call through SluiceLogger. Exits 1 if the handler allocates more than SluiceLogger does.
//
//     swift run -c release SwiftLogAllocations

import AllocationCounter
import Logging
import Sluice

#if canImport(Glibc)
import Glibc
#endif

let iterations = 20_000

/// Average allocations per call of `body` on this thread, after a warm-up.
func allocations(_ body: () -> Void) -> Double {
    for _ in 0..<1_000 {
        body()
    }
    let before = sluice_thread_allocations()
    for _ in 0..<iterations {
        body()
    }
    let perCall = Double(sluice_thread_allocations() - before) / Double(iterations)
    // The queue's occasional wake-up of the collector adds a few allocations per thousand calls.
    return (perCall * 100).rounded() / 100
}

let pipeline = try LogPipeline(
    sinks: [HandlerSink(level: .trace, name: "discard") { _ in }],
    level: .trace,
    levelEnvironmentVariable: nil,
    queue: QueueOptions(capacity: 1 << 20, overflow: .dropOldest)
)
let sluice = pipeline.logger(label: "bench", metadata: ["service": "checkout"])
var swiftLog = Logger(label: "bench") { pipeline.logHandler(label: $0, metadataProvider: nil) }
swiftLog.logLevel = .trace
swiftLog[metadataKey: "service"] = "checkout"
let handler = pipeline.logHandler(label: "bench", metadataProvider: nil)

struct Row {
    var name: String
    var sluice: Double
    var swiftLog: Double
}

// Values known only at run time, as real metadata is (constant literals can be folded away).
let requestID = String(CommandLine.arguments.count * 7_919, radix: 16) + "-request"
let status = 200 + CommandLine.arguments.count - 1

var rows: [Row] = []
rows.append(
    Row(
        name: "message only",
        sluice: allocations { sluice.info("request handled") },
        swiftLog: allocations { swiftLog.info("request handled") }
    ))
rows.append(
    Row(
        name: "two metadata values known at run time",
        sluice: allocations {
            sluice.info("request handled", metadata: ["request_id": "\(requestID)", "status": .integer(status)])
        },
        swiftLog: allocations {
            swiftLog.info(
                "request handled", metadata: ["request_id": "\(requestID)", "status": .stringConvertible(status)])
        }
    ))
rows.append(
    Row(
        name: "message only, inside a LogContext scope",
        sluice: LogContext.withMetadata(["request_id": "\(requestID)"]) {
            allocations { sluice.info("request handled") }
        },
        swiftLog: LogContext.withMetadata(["request_id": "\(requestID)"]) {
            allocations { swiftLog.info("request handled") }
        }
    ))
var sluiceAtInfo = sluice
sluiceAtInfo.level = .info
var swiftLogAtInfo = swiftLog
swiftLogAtInfo.logLevel = .info
rows.append(
    Row(
        name: "disabled level (trace on a logger at info)",
        sluice: allocations { sluiceAtInfo.trace("not logged \(requestID)") },
        swiftLog: allocations { swiftLogAtInfo.trace("not logged \(requestID)") }
    ))

let event = LogEvent(
    level: .info, message: "request handled",
    metadata: ["request_id": "\(requestID)", "status": .stringConvertible(status)],
    source: nil, file: #fileID, function: #function, line: #line
)
let handlerOnly = allocations { handler.log(event: event) }
// Creating a handler: for a label a live logger already uses (as when a framework makes a
// `Logger(label:)` per request while other requests' loggers live), and for a label nobody uses,
// which creates the label's shared level threshold (runtime level changes reach it) and frees it
// with the last logger, so per-request labels never grow a table.
let construction = allocations { _ = pipeline.logHandler(label: "bench", metadataProvider: nil) }
let constructionNewLabel = allocations { _ = pipeline.logHandler(label: "bench.db", metadataProvider: nil) }

print("Heap allocations per call on the calling thread (\(iterations) calls each, after warm-up)")
print("")
print("| call | SluiceLogger | swift-log via SluiceLogHandler |")
print("|---|---|---|")
for row in rows {
    print("| \(row.name) | \(row.sluice) | \(row.swiftLog) |")
}
print("")
print("SluiceLogHandler.log(event:) alone, metadata built beforehand (two values): \(handlerOnly)")
print("pipeline.logHandler(label:) (handler construction), label in use: \(construction)")
print("pipeline.logHandler(label:) (handler construction), label no logger uses: \(constructionNewLabel)")
await pipeline.shutdown()

// A swift-log call builds its metadata dictionary at the call site (swift-log's API, before the
// handler runs), as a SluiceLogger call builds its metadata literal. The requirement checked here:
// the handler's own work allocates no more than the SluiceLogger call does, and a call without
// metadata allocates no more either.
var failed = false
if rows[0].swiftLog > rows[0].sluice || rows[2].swiftLog > rows[2].sluice {
    print("FAIL: a swift-log call without metadata allocates more than the SluiceLogger call")
    failed = true
}
if handlerOnly > rows[1].sluice {
    print("FAIL: SluiceLogHandler.log(event:) allocates more than SluiceLogger's call with the same metadata")
    failed = true
}
if construction > 0 {
    print("FAIL: creating a handler for a label in use allocates")
    failed = true
}
exit(failed ? 1 : 0)
