import Sluice
import SluiceTesting
import Testing

@Suite struct InboxMarkerTests {
    /// A health check that flushes every second against a sink that hangs forever must not grow
    /// the sink's inbox without bound.
    @Test func flushesAndReopensAgainstAHungSinkDoNotPileUp() async throws {
        let blocked = BlockingSink()
        let memory = MemorySink()
        let pipeline = try LogPipeline(
            sinks: [blocked, memory], level: .trace, levelEnvironmentVariable: nil,
            batching: BatchingOptions(maxRecords: 10, maxDelay: .milliseconds(1)),
            // Long enough that the healthy sink's inbox (2 batches) never stays full that long on a
            // loaded machine: with 50 ms it did under ThreadSanitizer, and its batches were dropped.
            delivery: DeliveryOptions(inboxCapacity: 2, stallTimeout: .seconds(2)), onInternalError: .ignore)
        let log = pipeline.logger(label: "hung")
        log.info("first")
        await blocked.waitUntilBlocked()
        for round in 0..<300 {
            log.info("r\(round)")
            if round % 3 == 0 {
                _ = await pipeline.reopenFiles(timeout: .milliseconds(1))
            } else {
                _ = await pipeline.flush(timeout: .milliseconds(1))
            }
        }
        // Two batches at most, and per run of markers between them one flush and one reopen.
        let items = pipeline.inboxItemCounts[0]
        #expect(items <= 2 + 2 * 3, "the hung sink's inbox holds \(items) items")
        // Generous deadlines: under ThreadSanitizer, with the whole suite running, the 300 rounds
        // above alone took over two minutes.
        #expect(await memory.waitForRecords(count: 301, timeout: .seconds(60)))
        // The healthy sink's barriers still complete, and a merged barrier completes with its host.
        #expect(await pipeline.flush(timeout: .seconds(5)) == .timedOut(pendingSinks: ["blocked"]))
        blocked.release()
        #expect(await pipeline.flush(timeout: .seconds(30)) == .completed)
        await pipeline.shutdown()
    }

    @Test func aMergedBarrierCompletesWhenTheMarkerItRidesOnIsPassed() async {
        let inbox = SinkInbox(capacity: 4, sinkIndex: 0)
        #expect(inbox.offer(RecordBatch(capacity: 1)) == .accepted)
        let first = FlushBarrier(sinkNames: ["s"])
        let second = FlushBarrier(sinkNames: ["s"])
        let reopen = FlushBarrier(sinkNames: ["s"])
        let third = FlushBarrier(sinkNames: ["s"])
        inbox.enqueueControl(.flush(first))
        inbox.enqueueControl(.reopen(reopen))
        inbox.enqueueControl(.flush(second))
        inbox.enqueueControl(.flush(third))
        #expect(inbox.itemCount == 3, "batch, flush (carrying two more), reopen")
        guard case .batch = await inbox.next() else {
            Issue.record("expected the batch first")
            return
        }
        guard case .flush(let host) = await inbox.next() else {
            Issue.record("expected the flush marker")
            return
        }
        #expect(host === first)
        host.sinkFinished(0, succeeded: true)
        #expect(await second.promise.wait() == .completed)
        #expect(await third.promise.wait() == .completed)
        #expect(reopen.promise.value == nil)
    }
}
