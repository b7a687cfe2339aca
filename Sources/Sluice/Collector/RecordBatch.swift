import Synchronization

/// What the collector hands to the sinks: up to `maxRecords` encoded records in sequence order,
/// pointing into the pipeline's chunks, plus what the ledger and routing need to know about them.
///
/// A batch is filled by the collector, then only read; every sink it was routed to calls
/// ``release()`` once when done with it (or when it never got it), and the last release gives its
/// records' memory back and returns the batch object for reuse. So batches and chunks are recycled,
/// never freed, while records flow.
//
// @unchecked Sendable is safe: the collector writes every field before the batch is shared (the
// inbox hand-over orders those writes before any read), sinks only read, `holders` is atomic, and
// after the last release only the releasing thread touches the batch until the collector takes it
// from the pool again (the pool's lock orders that).
package final class RecordBatch: @unchecked Sendable {
    package let capacity: Int
    private let pointers: UnsafeMutablePointer<UnsafeRawPointer>
    // Dynamic exclusivity checks are off for these (they cost more than the work per record): only
    // one thread touches a batch at a time, as the comment above the class says.
    @exclusivity(unchecked) package private(set) var count = 0
    /// The ledger's id for the batch.
    @exclusivity(unchecked) package var id: UInt64 = 0
    /// Records per level (indexed by `LogLevel.rawValue`).
    @exclusivity(unchecked) package private(set) var levelCounts = LevelCounts()
    /// Bytes per chunk, to give back when the batch is released.
    @exclusivity(unchecked) package private(set) var runs: [ChunkRun] = []
    @exclusivity(unchecked) package private(set) var oldestTimestamp: Int64 = .max
    @exclusivity(unchecked) package private(set) var meanTimestamp: Double = 0
    private let holders = Atomic<Int>(0)
    /// The pool the batch returns to; held only while the batch is out, so a batch a hung sink still
    /// holds keeps its chunks' memory alive, and pooled batches form no cycle with their pool.
    fileprivate var owner: BatchPool?

    package init(capacity: Int) {
        self.capacity = capacity
        pointers = .allocate(capacity: capacity)
        runs.reserveCapacity(8)
    }

    deinit {
        pointers.deallocate()
    }

    /// The records.
    @inline(__always)
    package var records: EncodedRecords {
        EncodedRecords(UnsafeBufferPointer(start: pointers, count: count))
    }

    /// Appends a record (collector only, while filling).
    @inline(__always)
    package func append(_ record: UnsafeRawPointer) {
        precondition(count < capacity, "internal inconsistency: batch overfilled")
        pointers[count] = record
        count += 1
    }

    /// Computes the counts, chunk runs and timestamps once the batch is filled.
    package func seal() {
        var levels = LevelCounts()
        var runs = self.runs
        self.runs = []
        runs.removeAll(keepingCapacity: true)
        var oldest = Int64.max
        var sum: Double = 0
        let base = count > 0 ? EncodedRecord(pointers[0]).timestamp.nanosecondsSinceEpoch : 0
        var runChunk = -1
        var runBytes = 0
        for index in 0..<count {
            let record = EncodedRecord(pointers[index])
            levels[record.level] += 1
            let chunk = record.chunk
            if chunk != runChunk {
                if runChunk >= 0 {
                    runs.append(ChunkRun(chunk: UInt16(truncatingIfNeeded: runChunk), bytes: runBytes))
                }
                runChunk = chunk
                runBytes = 0
            }
            runBytes += record.size
            let timestamp = record.timestamp.nanosecondsSinceEpoch
            oldest = min(oldest, timestamp)
            sum += Double(timestamp &- base)
        }
        if runChunk >= 0 {
            runs.append(ChunkRun(chunk: UInt16(truncatingIfNeeded: runChunk), bytes: runBytes))
        }
        self.runs = runs
        levelCounts = levels
        oldestTimestamp = oldest
        meanTimestamp = Double(base) + (count == 0 ? 0 : sum / Double(count))
    }

    /// Records at or above `level`.
    package func count(atOrAbove level: LogLevel) -> Int {
        levelCounts.count(atOrAbove: level)
    }

    /// Sets how many sinks will release the batch; with none, it is released at once.
    package func share(with count: Int) {
        holders.store(count, ordering: .releasing)
        if count == 0, let owner {
            owner.recycle(self)
        }
    }

    /// One sink is done with the batch (or will never get it).
    package func release() {
        if holders.subtract(1, ordering: .acquiringAndReleasing).newValue == 0, let owner {
            owner.recycle(self)
        }
    }

    /// Empties the batch for reuse.
    package func reset() {
        count = 0
        id = 0
    }
}

/// Batches ready for reuse, and where a released batch's records go back to their chunks.
//
// @unchecked Sendable is safe: `free` is only touched with `lock` held; `chunks` and `capacity`
// are immutable.
package final class BatchPool: @unchecked Sendable {
    private let lock = Lock()
    private var free: [RecordBatch] = []
    private let chunks: ChunkStore
    private let capacity: Int

    package init(batchCapacity: Int, chunks: ChunkStore) {
        capacity = batchCapacity
        self.chunks = chunks
    }

    /// An empty batch.
    package func take() -> RecordBatch {
        let batch = lock.withLock { free.popLast() } ?? RecordBatch(capacity: capacity)
        batch.owner = self
        return batch
    }

    /// The last holder released `batch`: its records' memory goes back, and the batch is kept.
    package func recycle(_ batch: RecordBatch) {
        chunks.release(batch.runs)
        batch.reset()
        batch.owner = nil
        lock.withLock { free.append(batch) }
    }
}
