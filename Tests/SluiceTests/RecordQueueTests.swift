import Sluice
import Testing

/// The queue's overflow policies, tested on the state machine itself: no threads, no timing.
@Suite struct RecordQueueTests {
    private func record(_ level: LogLevel, _ message: String) -> LogRecord {
        LogRecord(level: level, label: "test", message: message)
    }

    private func fill(_ queue: inout RecordQueue, _ items: [(LogLevel, String)]) -> [RecordQueue.OfferResult] {
        items.map { level, message in
            var r = record(level, message)
            return queue.offer(&r, isRetry: false, canWait: true)
        }
    }

    @Test func dropNewestKeepsOldestRecordsAndCountsTheRest() {
        var queue = RecordQueue(options: QueueOptions(capacity: 3, overflow: .dropNewest), batchSize: 3)
        let results = fill(&queue, (1...5).map { (.debug, "m\($0)") })
        #expect(results.filter { $0 == .dropped }.count == 2)
        #expect(queue.take(upTo: 10).map(\.message) == ["m1", "m2", "m3"])
        #expect(queue.logged == 5)
        #expect(queue.droppedOverflow == 2)
    }

    @Test func dropOldestKeepsNewestRecordsAndCountsTheRest() {
        var queue = RecordQueue(options: QueueOptions(capacity: 3, overflow: .dropOldest), batchSize: 3)
        _ = fill(&queue, (1...5).map { (.debug, "m\($0)") })
        #expect(queue.take(upTo: 10).map(\.message) == ["m3", "m4", "m5"])
        #expect(queue.logged == 5)
        #expect(queue.droppedOverflow == 2)
    }

    @Test(arguments: [OverflowPolicy.dropNewest, .dropOldest])
    func errorRecordsSurviveAFloodOfDebugRecords(policy: OverflowPolicy) {
        var queue = RecordQueue(options: QueueOptions(capacity: 4, overflow: policy), batchSize: 4)
        var items: [(LogLevel, String)] = [(.error, "e1")]
        items += (1...10).map { (.debug, "d\($0)") }
        items += [(.critical, "c1"), (.error, "e2")]
        items += (11...20).map { (.debug, "d\($0)") }
        _ = fill(&queue, items)
        let kept = queue.take(upTo: 10)
        #expect(kept.count == 4)
        #expect(kept.filter { $0.level >= .error }.map(\.message) == ["e1", "c1", "e2"])
        #expect(queue.logged == items.count)
        #expect(queue.droppedOverflow == items.count - 4)
        // Enqueue order is preserved across the two rings.
        #expect(kept.map(\.sequence) == kept.map(\.sequence).sorted())
    }

    @Test func protectedRecordsAreDroppedOnlyWhenNothingBelowIsLeft() {
        var queue = RecordQueue(options: QueueOptions(capacity: 2, overflow: .dropOldest), batchSize: 2)
        _ = fill(&queue, [(.error, "e1"), (.error, "e2"), (.debug, "d1"), (.error, "e3")])
        // d1 was discarded (queue full of errors); e3 then evicted the oldest error.
        #expect(queue.take(upTo: 10).map(\.message) == ["e2", "e3"])
        #expect(queue.droppedOverflow == 2)

        var newest = RecordQueue(options: QueueOptions(capacity: 2, overflow: .dropNewest), batchSize: 2)
        _ = fill(&newest, [(.error, "e1"), (.error, "e2"), (.critical, "c1")])
        #expect(newest.take(upTo: 10).map(\.message) == ["e1", "e2"])
    }

    @Test func protectedLevelIsConfigurable() {
        var queue = RecordQueue(
            options: QueueOptions(capacity: 2, overflow: .dropNewest, protectedLevel: .warning),
            batchSize: 2
        )
        _ = fill(&queue, [(.info, "i1"), (.info, "i2"), (.warning, "w1")])
        #expect(queue.take(upTo: 10).map(\.message) == ["i1", "w1"])
    }

    @Test func blockAsksTheCallerToWaitAndNeverDrops() {
        var queue = RecordQueue(options: QueueOptions(capacity: 2, overflow: .block), batchSize: 2)
        #expect(fill(&queue, [(.info, "a"), (.info, "b"), (.critical, "c")]).last == .mustWait)
        #expect(queue.droppedOverflow == 0)
        _ = queue.take(upTo: 1)
        var retry = record(.critical, "c")
        #expect(queue.offer(&retry, isRetry: true, canWait: true) == .accepted(signal: .batchReady))
        #expect(queue.logged == 3)
        #expect(queue.take(upTo: 10).map(\.message) == ["b", "c"])
    }

    @Test func blockOnAPipelineThreadDropsInsteadOfWaiting() {
        var queue = RecordQueue(options: QueueOptions(capacity: 1, overflow: .block), batchSize: 1)
        var a = record(.info, "a")
        var b = record(.info, "b")
        _ = queue.offer(&a, isRetry: false, canWait: false)
        #expect(queue.offer(&b, isRetry: false, canWait: false) == .dropped)
        #expect(queue.droppedOverflow == 1)
    }

    @Test func sequenceNumbersIncreaseFromOneInAcceptanceOrder() {
        var queue = RecordQueue(options: QueueOptions(capacity: 10, overflow: .dropOldest), batchSize: 10)
        _ = fill(&queue, [(.info, "a"), (.error, "b"), (.info, "c"), (.critical, "d")])
        #expect(queue.take(upTo: 10).map(\.sequence) == [1, 2, 3, 4])
    }

    @Test func signalsFirstRecordThenFullBatchOncePerCrossing() {
        var queue = RecordQueue(options: QueueOptions(capacity: 100, overflow: .block), batchSize: 3)
        let results = fill(&queue, (1...4).map { (.info, "m\($0)") })
        #expect(
            results == [
                .accepted(signal: .recordsAvailable), .accepted(signal: nil),
                .accepted(signal: .batchReady), .accepted(signal: nil),
            ])
        _ = queue.take(upTo: 3)  // one left: below a batch, not empty
        #expect(
            fill(&queue, [(.info, "x"), (.info, "y")]) == [.accepted(signal: nil), .accepted(signal: .batchReady)])
        _ = queue.take(upTo: 10)
        #expect(fill(&queue, [(.info, "z")]) == [.accepted(signal: .recordsAvailable)])
    }

    @Test func drainingRefusesNewCallsButAdmitsWaitingOnes() {
        var queue = RecordQueue(options: QueueOptions(capacity: 1, overflow: .block), batchSize: 1)
        _ = fill(&queue, [(.info, "a")])
        #expect(fill(&queue, [(.info, "waiting")]) == [.mustWait])
        queue.beginDraining()
        #expect(fill(&queue, [(.info, "late")]) == [.dropped])
        _ = queue.take(upTo: 1)
        var retry = record(.info, "waiting")
        #expect(queue.offer(&retry, isRetry: true, canWait: true) != .dropped)
        #expect(queue.droppedShutdown == 1)
        #expect(queue.close() == 1)
        #expect(queue.droppedShutdown == 2)
        #expect(queue.logged == 3)
    }

    @Test func highWaterMarkTracksTheDeepestPoint() {
        var queue = RecordQueue(options: QueueOptions(capacity: 10, overflow: .block), batchSize: 10)
        _ = fill(&queue, (1...7).map { (.info, "m\($0)") })
        _ = queue.take(upTo: 5)
        _ = fill(&queue, [(.info, "x")])
        #expect(queue.highWaterMark == 7)
        #expect(queue.count == 3)
    }
}

@Suite struct ChunkedQueueTests {
    @Test func handsOverWholeChunksInOrder() {
        var queue = ChunkedQueue<Int>(chunkSize: 4)
        for i in 0..<10 { queue.append(i) }
        #expect(queue.count == 10)
        #expect(queue.takeChunk(upTo: 4) == [0, 1, 2, 3])
        #expect(queue.takeChunk(upTo: 2) == [4, 5], "a chunk larger than the limit is split")
        #expect(queue.takeChunk(upTo: 100) == [6, 7, 8, 9], "a partial chunk is topped up from the next")
        #expect(queue.isEmpty)
        #expect(queue.takeChunk(upTo: 100) == [])
    }

    @Test func removesAtBothEndsAcrossChunks() {
        var queue = ChunkedQueue<Int>(chunkSize: 3)
        for i in 0..<7 { queue.append(i) }
        let removedTwo = queue.removeFirst() && queue.removeFirst()
        #expect(removedTwo)
        #expect(queue.popFirst() == 2)
        #expect(queue.withFirst { $0 } == 3)
        let removedSix = queue.removeLast()
        let removedFive = queue.removeLast()
        #expect(removedSix && removedFive)
        #expect(queue.count == 2)
        queue.append(9)
        #expect(queue.takeChunk(upTo: 10) == [3, 4, 9])
        #expect(queue.isEmpty)
        let removedFromEmpty = queue.removeFirst() || queue.removeLast()
        #expect(!removedFromEmpty)
    }

    @Test func removingEverythingFromTheBackOfAPartlyConsumedChunkEmptiesIt() {
        var queue = ChunkedQueue<Int>(chunkSize: 4)
        for i in 0..<3 { queue.append(i) }
        let removedFirst = queue.removeFirst()
        #expect(removedFirst)
        let removedBoth = queue.removeLast() && queue.removeLast()
        #expect(removedBoth)
        #expect(queue.isEmpty)
        queue.append(7)
        #expect(queue.takeChunk(upTo: 4) == [7])
    }

    @Test func releasesElementsItStillHolds() {
        final class Tracker {
            static let lock = Lock()
            nonisolated(unsafe) static var live = 0  // guarded by `lock`
            init() { Tracker.lock.withLock { Tracker.live += 1 } }
            deinit { Tracker.lock.withLock { Tracker.live -= 1 } }
        }
        do {
            var queue = ChunkedQueue<Tracker>(chunkSize: 4)
            for _ in 0..<10 { queue.append(Tracker()) }
            queue.removeFirst()
            _ = queue.takeChunk(upTo: 4)
            // Evicted elements of a chunk are released with the chunk; the rest are still queued.
            #expect(Tracker.lock.withLock { Tracker.live } == 6)
            queue.removeAll()
            #expect(Tracker.lock.withLock { Tracker.live } == 0)
        }
        #expect(Tracker.lock.withLock { Tracker.live } == 0)
    }

    @Test func reusesDonatedArrays() {
        var queue = ChunkedQueue<Int>(chunkSize: 4)
        var donated: [Int] = []
        donated.reserveCapacity(64)
        queue.donate(donated)
        queue.append(1)
        #expect(queue.takeChunk(upTo: 4).capacity >= 64, "the new chunk came from the donated array")
    }
}
