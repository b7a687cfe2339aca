// swift-log-backend: an app that logs only through swift-log's `Logger`, as Vapor and Hummingbird
// apps and their libraries do, with Sluice as the backend. One bootstrap line is the whole change.
//
//     swift run SwiftLogBackend [--log-file PATH]

import Foundation
import Logging
import Sluice

var logFile = "logs/swift-log-backend.log"
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    guard argument == "--log-file", let path = arguments.next() else {
        FileHandle.standardError.write(Data("usage: swift-log-backend [--log-file PATH]\n".utf8))
        exit(2)
    }
    logFile = path
}

/// The request id of the work in progress, read by the metadata provider below (as a tracing
/// library's context would be).
enum RequestContext {
    @TaskLocal static var requestID: String?
}

let pipeline: LogPipeline
do {
    pipeline = try LogPipeline(
        sinks: [
            ConsoleSink(level: .info, format: .text),
            FileSink(path: logFile, level: .debug, format: JSONFormat(includeSource: true)),
        ],
        level: .debug
    )
} catch {
    FileHandle.standardError.write(Data("swift-log-backend: \(error)\n".utf8))
    exit(1)
}

// The one line that routes every swift-log Logger in the process into Sluice.
LoggingSystem.bootstrap(
    { label, provider in pipeline.logHandler(label: label, metadataProvider: provider) },
    metadataProvider: Logger.MetadataProvider {
        RequestContext.requestID.map { ["request_id": .string($0)] } ?? [:]
    }
)

/// Stands in for a library that logs through swift-log with its own label.
struct InventoryClient {
    let logger = Logger(label: "inventory.client")

    func reserve(item: String, quantity: Int) async {
        logger.debug("reserving", metadata: ["item": "\(item)", "quantity": .stringConvertible(quantity)])
        await Task.yield()
        logger.info("reserved", metadata: ["item": "\(item)", "remaining": .stringConvertible(100 - quantity)])
    }
}

let app: Logger = {
    var logger = Logger(label: "shop")
    logger[metadataKey: "version"] = "2.1.0"
    return logger
}()
app.info("starting", metadata: ["workers": .stringConvertible(4), "features": ["checkout", "search"]])

let client = InventoryClient()
await withTaskGroup(of: Void.self) { group in
    for number in 1...4 {
        group.addTask {
            await RequestContext.$requestID.withValue("req-\(number)") {
                await LogContext.withMetadata(["worker": .integer(number)]) {
                    app.info(
                        "order received", metadata: ["order": ["id": .stringConvertible(number), "total": "9.99"]])
                    await client.reserve(item: "sku-\(number)", quantity: number)
                    if number == 3 {
                        app.warning("payment retried", metadata: ["attempt": .stringConvertible(2)])
                    }
                }
            }
        }
    }
}
app.notice("done")

let report = await pipeline.shutdown(timeout: .seconds(5))
print(report)
exit(report.timedOut || report.stats.dropped.total > 0 ? 1 : 0)
