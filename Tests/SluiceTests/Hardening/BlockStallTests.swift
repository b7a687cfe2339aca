import Foundation
import Sluice
import SluiceTesting
import Testing

/// `block` is lossless between callers and sinks, except for the one documented case: a sink that
/// takes no batch for the stall timeout has what it cannot take dropped for it, counted and
/// reported. A stall timeout of `.seconds(Int64.max)` removes that exception too.
@Suite struct BlockStallTests {
    @Test func underBlockASinkSlowerThanTheStallTimeoutHasBatchesDroppedCountedAndReported() async throws {
        let slow = BlockingSink()
        let memory = MemorySink()
        let errors = ErrorCollector()
        let pipeline = try LogPipeline(
            sinks: [slow, memory], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 10, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 100, overflow: .block),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .milliseconds(100)),
            onInternalError: errors.handler)
        await onDedicatedThreads(1) { _ in
            let log = pipeline.logger(label: "slow")
            for i in 0..<500 {
                log.info("r\(i)")
            }
        }
        #expect(await memory.waitForRecords(count: 500, timeout: .seconds(60)))
        slow.release()
        let report = await pipeline.shutdown(timeout: .seconds(30))
        let slowStats = report.stats.sinks[0]
        #expect(report.stats.dropped.overflow == 0, "no caller was refused")
        #expect(slowStats.dropped.sinkFailure > 0 && slowStats.written + slowStats.dropped.total == 500)
        #expect(report.stats.sinks[1].written == 500)
        #expect(report.stats.isBalanced)
        #expect(errors.all.contains { $0.kind == .sinkStalled && $0.sinkName == "blocked" })
    }

    @Test func withAnUnlimitedStallTimeoutBlockLosesNothingToASlowSink() async throws {
        let slow = BlockingSink()
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [slow, memory], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 10, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 20, overflow: .block),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(Int64.max)),
            onInternalError: .ignore)
        async let producing: Void = onDedicatedThreads(1) { _ in
            let log = pipeline.logger(label: "slow")
            for i in 0..<200 {
                log.info("r\(i)")
            }
        }
        // Everything backs up behind the hung sink: the queue fills and the caller waits.
        #expect(await pollUntil { pipeline.stats.queueDepth == 20 }, "\(pipeline.stats)")
        #expect(pipeline.stats.dropped.total == 0)
        slow.release()
        await producing
        let report = await pipeline.shutdown(timeout: .seconds(30))
        #expect(report.stats.dropped.total == 0)
        #expect(report.stats.sinks.map(\.written) == [200, 200])
    }
}
