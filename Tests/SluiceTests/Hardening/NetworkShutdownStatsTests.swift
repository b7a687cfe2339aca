import Foundation
import Sluice
import Testing

@Suite struct NetworkShutdownStatsTests {
    /// When shutdown gives up on a network sink, the batches it still held are counted as dropped in
    /// the sink's own stats too (reason `shutdown`), agreeing with the pipeline's report.
    @Test func abandonedBatchesAreCountedInTheSinksOwnStats() async throws {
        let receiver = try SilentTCPReceiver()
        let port = receiver.port
        receiver.close()  // nothing listens: every attempt is refused and retried
        let sink = try SyslogSink(
            transport: .tcp(host: "127.0.0.1", port: port),
            retry: RetryOptions(
                initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(50), retryBudget: .seconds(600)))
        let pipeline = try LogPipeline(
            sinks: [sink], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 10, maxDelay: .seconds(60)), onInternalError: .ignore)
        let log = pipeline.logger(label: "abandoned")
        for i in 0..<30 {
            log.info("r\(i)")
        }
        #expect(await pollUntil { sink.stats.pendingBatches == 3 })
        let report = await pipeline.shutdown(timeout: .milliseconds(300))
        #expect(report.timedOut)
        #expect(report.stats.dropped.shutdown == 30 && report.stats.isBalanced)
        let stats = sink.stats
        #expect(stats.pendingBatches == 0)
        #expect(stats.pendingHighWaterMark == 3)
        #expect(stats.recordsSent == 0)
        #expect(stats.droppedBatches == 3)
        #expect(stats.droppedRecords.shutdown == 30 && stats.droppedRecords.total == 30)
        #expect(report.stats.sinks[0].dropped.total == stats.droppedRecords.total)
    }
}
