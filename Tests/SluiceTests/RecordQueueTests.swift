import Dispatch
import Foundation
import Sluice
import Testing

/// A pipeline's queue driven by hand: records go in through the log call and come out through the
/// collector's take, with no collector, no sink thread and no timing.
final class QueueHarness: @unchecked Sendable {
    // @unchecked Sendable is safe: only the test's own task touches the mutable state; other threads
    // touch only `storage`, which is thread-safe.
    let storage: PipelineStorage
    let batchSize: Int
    private var assembler = BatchAssembler()
    private var cuts = StripeCuts()
    private var runs: [ChunkRun] = []
    let events = CollectorEvents()

    init(
        capacity: Int, overflow: OverflowPolicy, protectedLevel: LogLevel = .error, batchSize: Int? = nil,
        stripes: Int = 1, maxBytes: Int = 16 << 20, chunkSize: Int = 64 * 1024
    ) {
        self.batchSize = batchSize ?? capacity
        storage = PipelineStorage(
            queue: QueueOptions(
                capacity: capacity, maxBytes: maxBytes, overflow: overflow, protectedLevel: protectedLevel),
            batchSize: self.batchSize,
            levels: LevelPolicy(minimum: .trace, overrides: [:]),
            sinks: [("test", .trace)],
            stallTimeout: .seconds(5),
            events: events,
            stripes: stripes,
            chunkSize: chunkSize
        )
    }

    func log(_ level: LogLevel, _ message: String, metadata: LogMetadata = [:]) {
        Self.log(storage, level, message, metadata: metadata)
    }

    static func log(_ storage: PipelineStorage, _ level: LogLevel, _ message: String, metadata: LogMetadata = [:]) {
        storage.submit(
            level: level, label: "test", message: message, file: #fileID, function: #function, line: #line,
            callMetadata: metadata, loggerMetadata: [:])
    }

    func fill(_ items: [(LogLevel, String)]) {
        for (level, message) in items {
            log(level, message)
        }
    }

    /// Takes what the stripes hold and hands out up to `limit` records in batches, as the collector
    /// does; each batch is written and released at once.
    func take(upTo limit: Int) -> [LogRecord] {
        storage.take(into: &assembler, cuts: &cuts, runs: &runs)
        var records: [LogRecord] = []
        while records.count < limit,
            let batch = storage.openBatch(from: &assembler, upTo: min(batchSize, limit - records.count))
        {
            records += batch.records.decoded()
            storage.settle(batch: batch.id, sink: 0, outcome: .written)
            batch.share(with: 1)
            batch.release()
        }
        return records
    }

    var stats: PipelineStats {
        storage.snapshot(sinkExtras: [PipelineStorage.SinkExtras()])
    }

    /// Polls `condition` (another thread is expected to make it true), with a generous deadline.
    func wait(until condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            await Task.yield()
        }
        return true
    }
}

/// The queue's overflow policies, accounting and order, on the storage itself: records logged on the
/// test's thread, taken by hand.
@Suite struct RecordQueueTests {
    private static func pendingEvents(_ events: CollectorEvents) -> [String] {
        var names: [String] = []
        while let event = events.poll() {
            names.append(String(describing: event))
        }
        return names
    }

    /// A call that finds the queue full while the collector's own taken records hold the room tells
    /// the collector, which then finds nothing queued to take. When those records' batch opens and
    /// the queue fills up again, the next such call must tell it again, or the collector (waiting
    /// for a batch deadline) would leave a full queue and parked callers until then.
    @Test func aQueueThatFillsAgainAfterRoomCameBackSignalsPressureAgain() {
        let harness = QueueHarness(capacity: 4, overflow: .dropNewest)
        var assembler = BatchAssembler()
        var cuts = StripeCuts()
        var runs: [ChunkRun] = []
        harness.fill((0..<4).map { (.info, "a\($0)") })
        _ = Self.pendingEvents(harness.events)
        harness.storage.take(into: &assembler, cuts: &cuts, runs: &runs)
        harness.log(.info, "while staged")
        #expect(Self.pendingEvents(harness.events).contains("pressure"))
        let batch = harness.storage.openBatch(from: &assembler, upTo: 4)
        #expect(batch?.count == 4)
        harness.fill((0..<4).map { (.info, "b\($0)") })
        harness.log(.info, "full again")
        #expect(Self.pendingEvents(harness.events).contains("pressure"))
        #expect(harness.stats.dropped.overflow == 2)
        if let batch {
            harness.storage.settle(batch: batch.id, sink: 0, outcome: .written)
            batch.share(with: 1)
            batch.release()
        }
    }

    @Test func dropNewestKeepsOldestRecordsAndCountsTheRest() {
        let queue = QueueHarness(capacity: 3, overflow: .dropNewest)
        queue.fill((1...5).map { (.debug, "m\($0)") })
        #expect(queue.stats.dropped.overflow == 2)
        #expect(queue.take(upTo: 10).map(\.message) == ["m1", "m2", "m3"])
        #expect(queue.stats.logged == 5)
        #expect(queue.stats.dropped.overflow == 2)
    }

    @Test func dropOldestKeepsNewestRecordsAndCountsTheRest() {
        let queue = QueueHarness(capacity: 3, overflow: .dropOldest)
        queue.fill((1...5).map { (.debug, "m\($0)") })
        #expect(queue.take(upTo: 10).map(\.message) == ["m3", "m4", "m5"])
        #expect(queue.stats.logged == 5)
        #expect(queue.stats.dropped.overflow == 2)
    }

    @Test(arguments: [OverflowPolicy.dropNewest, .dropOldest])
    func errorRecordsSurviveAFloodOfDebugRecords(policy: OverflowPolicy) {
        let queue = QueueHarness(capacity: 4, overflow: policy)
        var items: [(LogLevel, String)] = [(.error, "e1")]
        items += (1...10).map { (.debug, "d\($0)") }
        items += [(.critical, "c1"), (.error, "e2")]
        items += (11...20).map { (.debug, "d\($0)") }
        queue.fill(items)
        let kept = queue.take(upTo: 10)
        #expect(kept.count == 4)
        #expect(kept.filter { $0.level >= .error }.map(\.message) == ["e1", "c1", "e2"])
        #expect(queue.stats.logged == items.count)
        #expect(queue.stats.dropped.overflow == items.count - 4)
        // Logging order is preserved across the two chains.
        let order = items.map(\.1)
        let positions = kept.map { record in order.firstIndex(of: record.message)! }
        #expect(positions == positions.sorted())
        #expect(kept.map(\.sequence) == kept.map(\.sequence).sorted())
    }

    @Test func protectedRecordsAreDroppedOnlyWhenNothingBelowIsLeft() {
        let queue = QueueHarness(capacity: 2, overflow: .dropOldest)
        queue.fill([(.error, "e1"), (.error, "e2"), (.debug, "d1"), (.error, "e3")])
        // d1 was discarded (queue full of errors); e3 then evicted the oldest error.
        #expect(queue.take(upTo: 10).map(\.message) == ["e2", "e3"])
        #expect(queue.stats.dropped.overflow == 2)

        let newest = QueueHarness(capacity: 2, overflow: .dropNewest)
        newest.fill([(.error, "e1"), (.error, "e2"), (.critical, "c1")])
        #expect(newest.take(upTo: 10).map(\.message) == ["e1", "e2"])
    }

    @Test func protectedLevelIsConfigurable() {
        let queue = QueueHarness(capacity: 2, overflow: .dropNewest, protectedLevel: .warning)
        queue.fill([(.info, "i1"), (.info, "i2"), (.warning, "w1")])
        #expect(queue.take(upTo: 10).map(\.message) == ["i1", "w1"])
    }

    @Test func blockParksTheCallerUntilThereIsRoomAndNeverDrops() async {
        let queue = QueueHarness(capacity: 2, overflow: .block, batchSize: 1)
        queue.fill([(.info, "a"), (.info, "b")])
        let storage = queue.storage
        let finished = DispatchSemaphore(value: 0)
        Thread {
            QueueHarness.log(storage, .critical, "c")
            finished.signal()
        }.start()
        // The third call is logged and in flight, but not queued: it waits for room.
        #expect(await queue.wait { queue.stats.logged == 3 })
        let waiting = queue.stats
        #expect(waiting.queueDepth == 2 && waiting.inFlight == 3 && waiting.dropped.total == 0)
        #expect(waiting.isBalanced)
        #expect(queue.take(upTo: 1).map(\.message) == ["a"])
        finished.wait()
        #expect(queue.take(upTo: 10).map(\.message) == ["b", "c"])
        #expect(queue.stats.dropped.overflow == 0)
    }

    @Test func blockOnAPipelineThreadDropsInsteadOfWaiting() async {
        let queue = QueueHarness(capacity: 1, overflow: .block)
        let storage = queue.storage
        let executor = ThreadExecutor(name: "sluice-test")
        await Task(executorPreference: executor) {
            QueueHarness.log(storage, .info, "a")
            QueueHarness.log(storage, .info, "b")
        }.value
        executor.stop()
        #expect(queue.stats.dropped.overflow == 1)
        #expect(queue.take(upTo: 10).map(\.message) == ["a"])
    }

    @Test func sequenceNumbersIncreaseFromOneInLoggingOrder() {
        let queue = QueueHarness(capacity: 10, overflow: .dropOldest)
        queue.fill([(.info, "a"), (.error, "b"), (.info, "c"), (.critical, "d")])
        let records = queue.take(upTo: 10)
        #expect(records.map(\.message) == ["a", "b", "c", "d"])
        #expect(records.map(\.sequence) == [1, 2, 3, 4])
    }

    @Test func sequenceNumbersSkipRecordsDroppedForOverflow() {
        let queue = QueueHarness(capacity: 2, overflow: .dropNewest)
        queue.fill([(.info, "a")])
        #expect(queue.take(upTo: 10).map(\.sequence) == [1])
        queue.fill([(.info, "b"), (.info, "c"), (.info, "lost 1"), (.info, "lost 2")])
        let records = queue.take(upTo: 10)
        #expect(records.map(\.message) == ["b", "c"])
        #expect(records.map(\.sequence) == [4, 5], "the gap of two shows the two records dropped")
    }

    @Test func drainingRefusesNewCallsButAdmitsWaitingOnes() async {
        let queue = QueueHarness(capacity: 1, overflow: .block)
        queue.fill([(.info, "a")])
        let storage = queue.storage
        let finished = DispatchSemaphore(value: 0)
        Thread {
            QueueHarness.log(storage, .info, "waiting")
            finished.signal()
        }.start()
        // Parked, not only counted: a call counted as logged but not yet waiting when draining
        // begins is a new call, refused (ThreadSanitizer's slower threads showed the difference).
        #expect(await queue.wait { storage.waitingCallers == 1 })
        storage.beginDraining()
        queue.fill([(.info, "late")])
        #expect(queue.stats.dropped.shutdown == 1)
        #expect(queue.take(upTo: 1).map(\.message) == ["a"])
        finished.wait()
        #expect(queue.stats.queueDepth == 1, "the caller that waited got in")
        storage.closeIntake()
        #expect(queue.stats.dropped.shutdown == 2)
        #expect(queue.stats.logged == 3)
        #expect(queue.stats.isBalanced && queue.stats.inFlight == 0)
    }

    @Test func closingWakesWaitingCallersAndCountsThemForShutdown() async {
        let queue = QueueHarness(capacity: 1, overflow: .block)
        queue.fill([(.info, "a")])
        let storage = queue.storage
        let finished = DispatchSemaphore(value: 0)
        Thread {
            QueueHarness.log(storage, .info, "waiting")
            finished.signal()
        }.start()
        #expect(await queue.wait { storage.waitingCallers == 1 })
        storage.beginDraining()
        storage.closeIntake()
        finished.wait()
        let stats = queue.stats
        #expect(stats.dropped.shutdown == 2 && stats.inFlight == 0 && stats.isBalanced)
    }

    @Test func highWaterMarkTracksTheDeepestPoint() {
        let queue = QueueHarness(capacity: 10, overflow: .block)
        queue.fill((1...7).map { (.info, "m\($0)") })
        _ = queue.take(upTo: 5)
        queue.fill([(.info, "x")])
        #expect(queue.stats.queueHighWaterMark == 7)
        #expect(queue.stats.queueDepth == 3)
    }

    @Test func recordsFromManyThreadsKeepEachThreadsOrderAndAllArrive() async {
        let queue = QueueHarness(capacity: 100_000, overflow: .block, batchSize: 512, stripes: 4)
        let storage = queue.storage
        let threads = 8
        let perThread = 2_000
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                for i in 0..<perThread {
                    QueueHarness.log(storage, .info, "t\(thread)", metadata: ["i": .integer(i)])
                }
                group.leave()
            }.start()
        }
        group.wait()
        let records = queue.take(upTo: .max)
        #expect(records.count == threads * perThread)
        #expect(records.map(\.sequence) == Array(1...UInt64(threads * perThread)))
        for thread in 0..<threads {
            let indexes = records.filter { $0.message == "t\(thread)" }.map { record -> Int in
                if case .integer(let i) = record.metadata["i"] { return i }
                return -1
            }
            #expect(indexes == Array(0..<perThread))
        }
        #expect(queue.stats.isBalanced)
    }

    /// Evictions racing the collector's takes must never free a chunk whose records a batch still
    /// points to: every record handed out is intact and handed out once.
    @Test(arguments: [OverflowPolicy.dropOldest, .dropNewest])
    func evictionsRacingTakesNeverReuseMemoryABatchHolds(policy: OverflowPolicy) async {
        // Small chunks, so chunks fill, leave their chains and come back all the time.
        let queue = QueueHarness(capacity: 64, overflow: policy, batchSize: 16, stripes: 4, chunkSize: 2_048)
        let storage = queue.storage
        let threads = 4
        let perThread = 40_000
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                for i in 0..<perThread {
                    let level: LogLevel = i % 97 == 0 ? .error : .info
                    QueueHarness.log(
                        storage, level, "t\(thread) \(i)", metadata: ["t": .integer(thread), "i": .integer(i)])
                }
                group.leave()
            }.start()
        }
        var seen = Set<String>()
        var duplicates = 0
        var corrupt = 0
        var lastIndex = [Int](repeating: -1, count: threads)
        var outOfOrder = 0
        func check(_ records: [LogRecord]) {
            for record in records {
                guard case .integer(let thread)? = record.metadata["t"], case .integer(let i)? = record.metadata["i"],
                    record.message == "t\(thread) \(i)"
                else {
                    corrupt += 1
                    continue
                }
                if !seen.insert(record.message).inserted {
                    duplicates += 1
                }
                if i <= lastIndex[thread] {
                    outOfOrder += 1
                }
                lastIndex[thread] = i
            }
        }
        while group.wait(timeout: .now()) == .timedOut {
            check(queue.take(upTo: 48))
        }
        check(queue.take(upTo: .max))
        #expect(corrupt == 0 && duplicates == 0 && outOfOrder == 0)
        let stats = queue.stats
        #expect(stats.logged == threads * perThread)
        #expect(stats.written + stats.dropped.total == stats.logged)
        #expect(seen.count == stats.written)
    }

    @Test func aFullByteLimitDropsTheNewRecordUnderADroppingPolicy() {
        // One chunk of 64 KiB: records of ~1 KiB fill it after about 60.
        let queue = QueueHarness(capacity: 1_000, overflow: .dropOldest, maxBytes: 64 * 1024)
        let padding = String(repeating: "x", count: 1_000)
        for i in 0..<100 {
            queue.log(.info, "\(i) \(padding)")
        }
        let stats = queue.stats
        #expect(stats.dropped.overflow > 0 && stats.queueDepth + stats.dropped.overflow == 100)
        let kept = queue.take(upTo: .max)
        #expect(kept.map { Int($0.message.prefix { $0 != " " })! } == Array(0..<kept.count), "the oldest stay")
        // Memory came back: the same amount fits again.
        for i in 0..<kept.count {
            queue.log(.info, "\(i) \(padding)")
        }
        #expect(queue.take(upTo: .max).count == kept.count)
    }

    @Test func aRecordLargerThanAChunkGetsOneOfItsOwn() {
        let queue = QueueHarness(capacity: 100, overflow: .block, maxBytes: 4 << 20)
        let big = String(repeating: "é", count: 300_000)  // 600 KB
        queue.fill([(.info, "before")])
        queue.log(.info, big, metadata: ["blob": .string(big)])
        queue.fill([(.info, "after")])
        let records = queue.take(upTo: 10)
        #expect(records.map(\.message.count) == [6, 300_000, 5])
        #expect(records[1].metadata["blob"] == .string(big))
        let tooBig = String(repeating: "x", count: 5 << 20)
        queue.log(.info, tooBig)
        #expect(queue.stats.dropped.overflow == 1, "a record larger than the byte limit is dropped and counted")
        #expect(queue.stats.isBalanced)
    }

    @Test func stripesSignalTheFirstRecordAndThenAFullBatch() {
        var stripe = RecordStripe()
        #expect((1...4).map { _ in stripe.stored(batchSize: 3) } == [.recordsAvailable, nil, .batchReady, nil])
        stripe.wasCut()
        #expect((1...3).map { _ in stripe.stored(batchSize: 3) } == [.recordsAvailable, nil, .batchReady])
        // The collector kept back two records short of a batch: one more completes it.
        stripe.wasCut(heldBack: 2, batchSize: 3)
        #expect((1...3).map { _ in stripe.stored(batchSize: 3) } == [.recordsAvailable, .batchReady, nil])
        var other = RecordStripe()
        other.wasCut(heldBack: 2, batchSize: 3)
        #expect(other.stored(batchSize: 3) == .recordsAvailable)
        #expect(other.stored(batchSize: 3) == .batchReady)
    }
}

/// One stripe's chain of chunks, as a plain struct: no threads, no pipeline.
@Suite struct RecordChainTests {
    /// Chunks of `size` bytes from a store with room for `count` of them.
    final class Chunks {
        let store: ChunkStore
        init(size: Int = 256, count: Int = 16) {
            store = ChunkStore(chunkSize: size, byteLimit: size * count)
        }
        func take() -> ChunkStore.Grant { store.take(atLeast: 1)! }
    }

    /// Appends a 64-byte record whose timestamp is `value`; opens a new chunk when needed.
    @discardableResult
    func append(_ chain: inout RecordChain, _ value: Int64, chunks: Chunks) -> UInt16 {
        var reservation = chain.reserve(64)
        if reservation == nil {
            _ = chain.open(chunks.take())
            reservation = chain.reserve(64)
        }
        let (pointer, previous, chunk) = reservation!
        _ = RecordEncoder.writeHeader(
            RecordEncoder.Header(
                size: 64, previous: previous, timestamp: value, order: UInt64(value), source: 0, chunk: chunk,
                level: .info, flags: 0),
            to: pointer)
        return chunk
    }

    func timestamp(_ record: UnsafeMutableRawPointer?) -> Int64? {
        record.map { EncodedRecord(UnsafeRawPointer($0)).timestamp.nanosecondsSinceEpoch }
    }

    func values(_ cuts: [RecordChain.Cut]) -> [Int64] {
        var values: [Int64] = []
        for cut in cuts {
            var cursor = cut.start
            while cursor < cut.end {
                values.append(EncodedRecord(cursor).timestamp.nanosecondsSinceEpoch)
                cursor += EncodedRecord(cursor).size
            }
        }
        return values
    }

    @Test func recordsGoInOrderAcrossChunksAndComeOutInOneCut() {
        let chunks = Chunks()
        var chain = RecordChain()
        for value in 1...10 {
            append(&chain, Int64(value), chunks: chunks)  // four 64-byte records per 256-byte chunk
        }
        #expect(chain.count == 10 && chain.segments.count == 3)
        var cuts: [RecordChain.Cut] = []
        var left: [UInt16] = []
        chain.cut(into: &cuts, leaving: &left)
        #expect(values(cuts) == Array(1...10))
        #expect(left.count == 2, "the two full, sealed chunks leave; the open one stays")
        #expect(chain.count == 0 && chain.segments.count == 1)
        append(&chain, 11, chunks: chunks)
        cuts.removeAll()
        chain.cut(into: &cuts, leaving: &left)
        #expect(values(cuts) == [11], "later records follow in the same open chunk")
    }

    @Test func evictionFromEitherEndCrossesChunks() {
        let chunks = Chunks()
        var chain = RecordChain()
        for value in 1...9 {
            append(&chain, Int64(value), chunks: chunks)
        }
        #expect(timestamp(chain.first) == 1 && timestamp(chain.last) == 9)
        var left: [UInt16] = []
        for _ in 0..<5 {
            if let id = chain.removeFirst() {
                left.append(id)
            }
        }
        #expect(left.count == 1, "the first chunk emptied from the front leaves")
        #expect(timestamp(chain.first) == 6)
        #expect(chain.removeLast() == nil, "the open chunk stays even when emptied from the back")
        #expect(timestamp(chain.last) == 8)
        _ = chain.removeLast()
        _ = chain.removeLast()
        #expect(timestamp(chain.last) == 6 && chain.count == 1)
        var cuts: [RecordChain.Cut] = []
        chain.cut(into: &cuts, leaving: &left)
        #expect(values(cuts) == [6])
        #expect(chain.removeFirst() == nil && chain.removeLast() == nil && chain.count == 0)
    }

    @Test func aRetractedRecordsSpaceIsWrittenAgain() {
        let chunks = Chunks()
        var chain = RecordChain()
        append(&chain, 1, chunks: chunks)
        append(&chain, 2, chunks: chunks)
        _ = chain.removeLast()
        append(&chain, 3, chunks: chunks)
        var cuts: [RecordChain.Cut] = []
        var left: [UInt16] = []
        chain.cut(into: &cuts, leaving: &left)
        #expect(values(cuts) == [1, 3])
        #expect(cuts.count == 1 && cuts[0].end - cuts[0].start == 128, "record 3 took record 2's place")
    }

    @Test func discardingEverythingLetsEveryChunkGo() {
        let chunks = Chunks()
        var chain = RecordChain()
        for value in 1...6 {
            append(&chain, Int64(value), chunks: chunks)
        }
        var left: [UInt16] = []
        #expect(chain.removeAll(leaving: &left) == 6)
        #expect(left.count == 2 && chain.segments.isEmpty)
    }
}

/// The chunk store: memory within a byte limit, given back only when nothing points into it.
@Suite struct ChunkStoreTests {
    @Test func chunksComeBackOnlyWhenTheirChainAndEveryBatchLetGo() {
        let store = ChunkStore(chunkSize: 1_024, byteLimit: 2_048)
        let first = store.take(atLeast: 100)!
        let second = store.take(atLeast: 100)!
        #expect(store.take(atLeast: 100) == nil, "the byte limit holds")
        store.taken([ChunkRun(chunk: first.id, bytes: 300)], leaving: [first.id])
        #expect(store.take(atLeast: 100) == nil, "a batch still points into the first chunk")
        store.release([ChunkRun(chunk: first.id, bytes: 200)])
        #expect(store.take(atLeast: 100) == nil, "not every byte is back yet")
        store.release([ChunkRun(chunk: first.id, bytes: 100)])
        let reused = store.take(atLeast: 100)
        #expect(reused?.id == first.id && reused?.base == first.base, "the same memory, reused")
        store.leftChain([second.id])
        #expect(store.take(atLeast: 100)?.id == second.id)
    }

    @Test func aRecordLargerThanAChunkGetsMemoryOfItsOwnWithinTheLimit() {
        let store = ChunkStore(chunkSize: 1_024, byteLimit: 16_384)
        let jumbo = store.take(atLeast: 10_000)!
        #expect(jumbo.capacity >= 10_000)
        #expect(store.take(atLeast: 10_000) == nil, "two of them would exceed the limit")
        #expect(store.take(atLeast: 100_000, waiting: true) == nil, "one that can never fit does not wait")
        store.leftChain([jumbo.id])
        #expect(store.bytesAllocated == 0, "jumbo memory is freed, not kept")
        #expect(store.take(atLeast: 10_000) != nil)
    }

    /// The collector makes chunks ready; a logging thread then takes them without allocating, the
    /// oldest freed first; the byte limit still holds.
    @Test func chunksMadeReadyAreTakenWithoutAllocatingWithinTheLimit() {
        let store = ChunkStore(chunkSize: 1_024, byteLimit: 4_096)
        #expect(store.replenish(spare: 3) == 3)
        #expect(store.bytesAllocated == 3_072 && store.bytesInUse == 0)
        #expect(store.replenish(spare: 3) == 0, "already ready")
        var grants = (0..<3).compactMap { _ in store.take(atLeast: 100) }
        #expect(grants.count == 3 && store.bytesAllocated == 3_072, "taken, not allocated")
        #expect(store.replenish(spare: 3) == 1, "the limit leaves room for one more")
        grants.append(store.take(atLeast: 100)!)
        #expect(store.take(atLeast: 100) == nil && store.bytesAllocated == 4_096)
        store.leftChain([grants[2].id])
        #expect(store.take(atLeast: 100)?.id == grants[2].id, "freed memory is reused")
    }

    /// Chunks kept free for reuse give their memory up to a record larger than a chunk.
    @Test func freeChunksMakeWayForALargeRecord() {
        let store = ChunkStore(chunkSize: 1_024, byteLimit: 8_192)
        #expect(store.replenish(spare: 8) == 8)
        let used = store.take(atLeast: 100)!
        let jumbo = store.take(atLeast: 2_000)
        #expect(jumbo != nil && jumbo!.capacity >= 2_000)
        #expect(store.bytesAllocated == 8_192 && store.bytesInUse == 1_024 + 4_096, "three chunks stay free")
        #expect(store.take(atLeast: 3_000) == nil, "even without the free chunks it would not fit")
        #expect(store.bytesAllocated == 8_192, "so they were kept")
        store.leftChain([used.id, jumbo!.id])
        #expect(store.bytesInUse == 0)
    }
}
