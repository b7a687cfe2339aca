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

@Suite struct RingBufferTests {
    @Test func wrapsAroundGrowsAndShrinks() {
        var ring = RingBuffer<Int>(initialCapacity: 4)
        for i in 0..<3 { ring.append(i) }
        #expect(ring.popFirst() == 0)
        for i in 3..<20 { ring.append(i) }  // wraps, then grows
        #expect(ring.popLast() == 19)
        var out: [Int] = []
        ring.moveFront(5, into: &out)
        #expect(out == [1, 2, 3, 4, 5])
        ring.moveFront(100, into: &out)
        #expect(out == Array(1...18))
        let empty = ring.isEmpty
        #expect(empty)
        ring.append(42)
        #expect(ring.withFirst { $0 } == 42)
    }

    @Test func releasesElementsItStillHolds() {
        final class Tracker {
            static let lock = Lock()
            nonisolated(unsafe) static var live = 0
            init() { Tracker.lock.withLock { Tracker.live += 1 } }
            deinit { Tracker.lock.withLock { Tracker.live -= 1 } }
        }
        do {
            var ring = RingBuffer<Tracker>(initialCapacity: 4)
            for _ in 0..<10 { ring.append(Tracker()) }
            _ = ring.popFirst()
            #expect(Tracker.lock.withLock { Tracker.live } == 9)
        }
        #expect(Tracker.lock.withLock { Tracker.live } == 0)
    }
}
