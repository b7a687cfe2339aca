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
    /// Each record's sinks (bit `i`: sink `i`) when the stages route by mask.
    private let masks: UnsafeMutablePointer<UInt64>
    private let sinkCount: Int
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
    /// Records written by the collector's stages, which hold no unit of queue room.
    @exclusivity(unchecked) package private(set) var detachedCount = 0
    /// Whether routing follows ``masks`` rather than levels.
    @exclusivity(unchecked) package private(set) var usesMasks = false
    /// With masks: records per sink, and the distinct masks with their records.
    @exclusivity(unchecked) package private(set) var sinkCounts: [Int] = []
    @exclusivity(unchecked) package private(set) var maskGroups: [MaskGroup] = []
    private let holders = Atomic<Int>(0)
    /// The pool the batch returns to; held only while the batch is out, so a batch a hung sink still
    /// holds keeps its chunks' memory alive, and pooled batches form no cycle with their pool.
    fileprivate var owner: BatchPool?

    package init(capacity: Int, sinks: Int = 1) {
        self.capacity = capacity
        sinkCount = sinks
        pointers = .allocate(capacity: capacity)
        masks = .allocate(capacity: capacity)
        runs.reserveCapacity(8)
    }

    deinit {
        pointers.deallocate()
        masks.deallocate()
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

    /// Appends a record routed by `mask` (collector only, while filling).
    @inline(__always)
    package func append(_ record: UnsafeRawPointer, mask: UInt64) {
        precondition(count < capacity, "internal inconsistency: batch overfilled")
        pointers[count] = record
        masks[count] = mask
        count += 1
    }

    /// The sinks record `index` goes to, with masks.
    @inline(__always)
    package func mask(_ index: Int) -> UInt64 {
        masks[index]
    }

    /// Computes the counts, chunk runs and timestamps once the batch is filled; with `masked`, also
    /// the records per sink and per mask.
    package func seal(masked: Bool = false) {
        usesMasks = masked
        if masked {
            sealMasks()
        }
        var detached = 0
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
            if record.flags & RecordLayout.Flags.detached != 0 {
                detached += 1
            }
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
        detachedCount = detached
        oldestTimestamp = oldest
        meanTimestamp = Double(base) + (count == 0 ? 0 : sum / Double(count))
    }

    private func sealMasks() {
        var counts = sinkCounts
        sinkCounts = []
        counts.removeAll(keepingCapacity: true)
        counts.append(contentsOf: repeatElement(0, count: sinkCount))
        var groups = maskGroups
        maskGroups = []
        groups.removeAll(keepingCapacity: true)
        for index in 0..<count {
            let mask = masks[index]
            var bits = mask
            while bits != 0 {
                let sink = bits.trailingZeroBitCount
                if sink < sinkCount {
                    counts[sink] += 1
                }
                bits &= bits - 1
            }
            // Few distinct masks per batch: the last one is usually the same.
            if let last = groups.indices.last, groups[last].mask == mask {
                groups[last].count += 1
            } else if let found = groups.firstIndex(where: { $0.mask == mask }) {
                groups[found].count += 1
            } else {
                groups.append(MaskGroup(mask: mask, count: 1))
            }
        }
        sinkCounts = counts
        maskGroups = groups
    }

    /// Records at or above `level`.
    package func count(atOrAbove level: LogLevel) -> Int {
        levelCounts.count(atOrAbove: level)
    }

    /// Records that go to sink `index`, whose level is `level`.
    @inline(__always)
    package func routed(toSink index: Int, level: LogLevel) -> Int {
        usesMasks ? (index < sinkCounts.count ? sinkCounts[index] : 0) : levelCounts.count(atOrAbove: level)
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
        usesMasks = false
        detachedCount = 0
    }
}

/// Records of a batch that go to the same sinks.
package struct MaskGroup: Sendable, Equatable {
    /// The sinks (bit `i`: sink `i`).
    package var mask: UInt64
    package var count: Int
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
    private let sinks: Int

    package init(batchCapacity: Int, chunks: ChunkStore, sinks: Int = 1) {
        capacity = batchCapacity
        self.chunks = chunks
        self.sinks = sinks
    }

    /// An empty batch.
    package func take() -> RecordBatch {
        let batch = lock.withLock { free.popLast() } ?? RecordBatch(capacity: capacity, sinks: sinks)
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
