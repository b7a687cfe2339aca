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

    /// The collector's wait for room ends with room when the sink takes a batch, and with `false` at
    /// its deadline; a timer left from an earlier wait does not end a later one early.
    @Test func aWaitForRoomEndsWithRoomOrAtItsOwnDeadline() async {
        let timers = ThreadExecutor(name: "inbox-test-timers")
        defer { timers.stop() }
        let inbox = SinkInbox(capacity: 1, sinkIndex: 0)
        #expect(inbox.offer(RecordBatch(capacity: 1)) == .accepted)
        #expect(inbox.offer(RecordBatch(capacity: 1)) == .full)

        // Room comes well before the deadline.
        let firstDeadline = ContinuousClock.now.advanced(by: .milliseconds(300))
        let first = Task { await inbox.waitForRoom(until: firstDeadline, timers: timers) }
        guard case .batch = await inbox.next() else {
            Issue.record("expected the batch")
            return
        }
        #expect(await first.value)
        #expect(inbox.offer(RecordBatch(capacity: 1)) == .accepted)

        // The next wait outlives the first one's deadline (whose timer may still fire) and ends at
        // its own.
        let started = ContinuousClock.now
        let second = await inbox.waitForRoom(until: started.advanced(by: .seconds(1)), timers: timers)
        let waited = started.duration(to: .now)
        #expect(!second)
        #expect(waited >= .seconds(1) - .milliseconds(1), "ended after \(waited)")

        // Abandoned at the shutdown deadline: a waiting collector is let go at once.
        let third = Task { await inbox.waitForRoom(until: .now.advanced(by: .seconds(600)), timers: timers) }
        let registered = ContinuousClock.now.advanced(by: .seconds(60))
        while !inbox.isWaitedOnForRoom && ContinuousClock.now < registered {
            await Task.yield()
        }
        #expect(inbox.isWaitedOnForRoom)
        #expect(inbox.abandon().count == 1)
        #expect(await third.value == false)
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
