// A consumer of Sluice with every trait: swift-log goes through the pipeline, the pipeline runs as a
// service and drains on graceful shutdown, and its stats reach a metrics backend.
import Foundation
import Logging
import MetricsTestKit
import ServiceLifecycle
import ServiceLifecycleTestKit
import Sluice

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-all-traits-\(getpid())")
let path = directory.appendingPathComponent("app.log").path
let file = try FileSink(path: path, format: .json)
let pipeline = try LogPipeline(sinks: [file], levelEnvironmentVariable: nil)
let logger = Logger(label: "consumer") { pipeline.logHandler(label: $0) }
let metrics = TestMetrics()
let exporter = PipelineMetrics(pipeline: pipeline, factory: metrics)

try await testGracefulShutdown { trigger in
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pipeline.run() }
        for number in 1...5 {
            logger.info("record", metadata: ["n": .stringConvertible(number)])
        }
        trigger.triggerGracefulShutdown()
        try await group.waitForAll()
    }
}
exporter.collect()
await file.waitForArchiving()  // public: a script can wait for compression and retention

let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
let exported = try metrics.expectCounter("sluice_records_written_total").totalValue
try? FileManager.default.removeItem(at: directory)
guard lines.count == 5, exported == 5, pipeline.stats.state == .stopped else {
    print("all-traits consumer: expected 5 lines and 5 exported, got \(lines.count) and \(exported)")
    exit(1)
}
print("all-traits consumer: swift-log → Sluice → file (5 lines), drained as a service, 5 exported as metrics")
