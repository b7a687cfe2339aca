import Foundation
import Sluice
import SluiceTesting
import Testing

/// No user callback runs under a Sluice lock: a handler or an error's `description` may read the
/// pipeline's stats (or be slow) without deadlocking anything.
@Suite struct CallbackLockTests {
    /// A port with nothing listening: every connection attempt is refused, so the sink retries and
    /// reports it.
    static func closedPort() throws -> Int {
        let receiver = try SilentTCPReceiver()
        let port = receiver.port
        receiver.close()
        return port
    }

    @Test func anErrorHandlerThatReadsStatsDuringAReceiverOutageDoesNotDeadlock() async throws {
        let sink = try SyslogSink(
            transport: .tcp(host: "127.0.0.1", port: try Self.closedPort()),
            retry: RetryOptions(
                initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(20), retryBudget: .seconds(60)))
        let pipelineBox = LockedValue<LogPipeline?>(nil)
        let seen = LockedValue<[String]>([])
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            onInternalError: .custom { error in
                // Both take locks the delivery thread held while it reported before the fix.
                let stats = pipelineBox.withLock { $0 }?.stats
                let health = pipelineBox.withLock { $0 }?.health
                seen.withLock {
                    $0.append("\(error.kind) logged=\(stats?.logged ?? -1) \(health?.state.description ?? "-")")
                }
                _ = sink.stats
            })
        pipelineBox.withLock { $0 = pipeline }
        pipeline.logger(label: "outage").error("is anyone there?")
        #expect(await pollUntil { seen.withLock { $0.contains { $0.hasPrefix("delivery failed, retrying") } } })
        #expect(sink.stats.retries >= 1)
        let report = await pipeline.shutdown(timeout: .milliseconds(500))
        #expect(report.stats.isBalanced)
    }

    struct SelfInspectingError: Error, CustomStringConvertible {
        let pipeline: LockedValue<LogPipeline?>
        var description: String {
            // An error whose description reads the pipeline (or is merely slow): it must not run
            // under the pipeline's hot-path lock.
            "failed while \(pipeline.withLock { $0 }?.stats.inFlight ?? -1) records were in flight"
        }
    }

    final class SelfInspectingSink: LogSink {
        let name = "inspecting"
        let level = LogLevel.trace
        let pipeline = LockedValue<LogPipeline?>(nil)
        func write(_ records: [LogRecord]) throws { throw SelfInspectingError(pipeline: pipeline) }
    }

    @Test func aSinkErrorsDescriptionRunsOutsideTheHotPathLock() async throws {
        let sink = SelfInspectingSink()
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil, onInternalError: .ignore)
        sink.pipeline.withLock { $0 = pipeline }
        let log = pipeline.logger(label: "describe")
        for i in 0..<10 {
            log.info("r\(i)")
        }
        await pipeline.flush()
        let stats = pipeline.stats
        #expect(stats.dropped.sinkFailure == 10)
        #expect(stats.sinks[0].lastError?.hasPrefix("failed while") == true)
        await pipeline.shutdown()
    }
}
