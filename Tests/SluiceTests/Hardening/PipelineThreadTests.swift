import Foundation
import Sluice
import SluiceTesting
import Testing

/// Which threads may wait for room under `block`: application threads always, a pipeline's own
/// threads never on their own pipeline, other pipelines' threads unless that would close a cycle,
/// Sluice's unattached threads (network delivery, archiving) never.
@Suite struct PipelineThreadTests {
    /// Logs every record it receives into another pipeline (a sink with diagnostics of its own).
    final class ForwardingSink: LogSink {
        let name: String
        let level = LogLevel.trace
        let target = LockedValue<SluiceLogger?>(nil)
        let forwardLabel: String

        init(name: String, forwardLabel: String = "origin") {
            self.name = name
            self.forwardLabel = forwardLabel
        }

        func write(_ records: [LogRecord]) {
            guard let log = target.withLock({ $0 }) else { return }
            for record in records where record.label == forwardLabel {
                log.info("forwarded \(record.message)")
            }
        }
    }

    @Test func theNetworkDeliveryThreadCountsAsSluicesOwn() async {
        let role = Promise<PipelineThread.Role>()
        SluiceThread.start(name: "sluice-net") { role.fulfill(PipelineThread.role) }
        #expect(await role.wait() == .unattached)
        #expect(PipelineThread.role == .application || PipelineThread.role == .unattached)
    }

    @Test func aSinkLoggingIntoAnotherBlockPipelineWaitsInsteadOfDropping() async throws {
        let gate = GateSink()
        let target = try LogPipeline(
            sinks: [gate], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 1, maxDelay: .milliseconds(1)),
            queue: QueueOptions(capacity: 2, overflow: .block),
            delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600)), onInternalError: .ignore)
        let forwarding = ForwardingSink(name: "forwarding")
        forwarding.target.withLock { $0 = target.logger(label: "forwarded") }
        let source = try LogPipeline(
            sinks: [forwarding], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 5, maxDelay: .milliseconds(1)),
            queue: QueueOptions(overflow: .block), onInternalError: .ignore)
        let log = source.logger(label: "origin")
        for i in 0..<20 {
            log.info("r\(i)")
        }
        // The target's queue and inbox fill; the forwarding sink's thread must wait for room.
        #expect(await pollUntil { target.stats.queueDepth == 2 })
        await gate.open()
        #expect(await source.flush(timeout: .seconds(30)) == .completed)
        #expect(await target.flush(timeout: .seconds(30)) == .completed)
        #expect(target.stats.dropped.overflow == 0, "waited instead of dropping")
        #expect(await gate.received.count == 20)
        await source.shutdown()
        await target.shutdown()
    }

    @Test func twoPipelinesLoggingIntoEachOtherNeverDeadlock() async throws {
        func pipeline(_ sink: ForwardingSink, gate: GateSink) throws -> LogPipeline {
            try LogPipeline(
                sinks: [sink, gate], level: .trace, levelEnvironmentVariable: nil,
                batching: BatchingOptions(maxRecords: 1, maxDelay: .milliseconds(1)),
                queue: QueueOptions(capacity: 1, overflow: .block),
                delivery: DeliveryOptions(inboxCapacity: 1, stallTimeout: .seconds(600)), onInternalError: .ignore)
        }
        let toB = ForwardingSink(name: "to-b")
        let toA = ForwardingSink(name: "to-a")
        let gateA = GateSink()
        let gateB = GateSink()
        let a = try pipeline(toB, gate: gateA)
        let b = try pipeline(toA, gate: gateB)
        toB.target.withLock { $0 = b.logger(label: "hop") }
        toA.target.withLock { $0 = a.logger(label: "hop") }
        await gateA.open()
        await gateB.open()
        await onDedicatedThreads(2) { index in
            let log = (index == 0 ? a : b).logger(label: "origin")
            for i in 0..<300 {
                log.info("r\(i)")
            }
        }
        // Each sink waits on the other pipeline only while that one does not wait on its own.
        #expect(await a.flush(timeout: .seconds(60)) == .completed)
        #expect(await b.flush(timeout: .seconds(60)) == .completed)
        let reportA = await a.shutdown(timeout: .seconds(30))
        let reportB = await b.shutdown(timeout: .seconds(30))
        #expect(!reportA.timedOut && !reportB.timedOut)
        #expect(reportA.stats.isBalanced && reportB.stats.isBalanced)
        #expect(reportA.stats.logged >= 300 && reportB.stats.logged >= 300)
        #expect(PipelineWaits.begin(from: 1_000_001, to: 1_000_002))
        #expect(!PipelineWaits.begin(from: 1_000_002, to: 1_000_001), "would close a cycle")
        #expect(!PipelineWaits.begin(from: 1_000_003, to: 1_000_003))
        PipelineWaits.end(from: 1_000_001, to: 1_000_002)
        #expect(PipelineWaits.begin(from: 1_000_002, to: 1_000_001))
        PipelineWaits.end(from: 1_000_002, to: 1_000_001)
    }
}
