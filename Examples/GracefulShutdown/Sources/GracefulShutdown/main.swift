// graceful-shutdown: a worker that logs in bursts, run by a ServiceGroup with the pipeline listed
// first. On SIGTERM or SIGINT the group stops the worker, then the pipeline drains, and the process
// exits 0 with every record in the file.
//
//     swift run GracefulShutdown [--log-file PATH] [--signals-only]
//
// The worker numbers its records (`seq`) and, when it stops, prints `logged N` on standard output:
// records 1...N are exactly the ones it logged, so a test can check that all of them reached the file.
// `--signals-only` shows the dependency-free path instead: no ServiceGroup, just
// `pipeline.drainOnSignals([SIGTERM, SIGINT])`.

import Foundation
import Logging
import ServiceLifecycle
import Sluice

var logFile = "logs/graceful-shutdown.log"
var signalsOnly = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--log-file":
        logFile = arguments.next() ?? logFile
    case "--signals-only":
        signalsOnly = true
    default:
        FileHandle.standardError.write(Data("usage: GracefulShutdown [--log-file PATH] [--signals-only]\n".utf8))
        exit(2)
    }
}

/// Prints a line on standard output at once (a test reads it while the process runs).
func announce(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Logs numbered records in bursts of 100 until it is told to stop.
struct BurstWorker: Service {
    let logger: Logger

    func run() async throws {
        // Stops logging as soon as graceful shutdown begins, at the end of the burst it is in.
        let sequence = await cancelWhenGracefulShutdown {
            var sequence = 0
            while !Task.isCancelled {
                for _ in 0..<100 {
                    sequence += 1
                    logger.info("burst record", metadata: ["seq": .stringConvertible(sequence)])
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
            return sequence
        }
        logger.notice("worker stopped", metadata: ["logged": .stringConvertible(sequence)])
        announce("logged \(sequence)")
    }
}

let pipeline: LogPipeline
do {
    pipeline = try LogPipeline(
        sinks: [FileSink(path: logFile, level: .debug, format: .json)],
        queue: QueueOptions(capacity: 65_536, overflow: .block),  // lossless: a burst waits for room
        shutdownTimeout: .seconds(10)
    )
} catch {
    FileHandle.standardError.write(Data("graceful-shutdown: \(error)\n".utf8))
    exit(1)
}
LoggingSystem.bootstrap { label in pipeline.logHandler(label: label) }
let logger = Logger(label: "worker")

if signalsOnly {
    // Without swift-service-lifecycle: the first SIGTERM or SIGINT drains the pipeline, then exits.
    do {
        try pipeline.drainOnSignals([SIGTERM, SIGINT]) { signal, report in
            announce("drained after signal \(signal): \(report.stats.written) written")
            exit(report.timedOut || report.stats.dropped.total != report.stats.dropped.shutdown ? 1 : 0)
        }
    } catch {
        FileHandle.standardError.write(Data("graceful-shutdown: \(error)\n".utf8))
        exit(1)
    }
    announce("running")
    var sequence = 0
    while true {
        for _ in 0..<100 {
            sequence += 1
            logger.info("burst record", metadata: ["seq": .stringConvertible(sequence)])
        }
        try? await Task.sleep(for: .milliseconds(1))
    }
}

let group = ServiceGroup(
    services: [pipeline, BurstWorker(logger: logger)],  // pipeline first: shut down last
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: Logger(label: "service-group")
)
announce("running")
do {
    try await group.run()
} catch {
    FileHandle.standardError.write(Data("graceful-shutdown: \(error)\n".utf8))
    exit(1)
}
let stats = pipeline.stats
announce("pipeline \(stats.state): \(stats.written) written, \(stats.dropped.total) dropped")
exit(stats.state == .stopped && stats.dropped.overflow == 0 && stats.dropped.sinkFailure == 0 ? 0 : 1)
