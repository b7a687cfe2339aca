/// What one take found in the stripes: for each stripe that had records, the byte ranges of its
/// two chains. Reused from take to take, so taking allocates nothing once warm.
package struct StripeCuts {
    package struct Stripe {
        package var unprotected: [RecordChain.Cut] = []
        package var protected: [RecordChain.Cut] = []
    }

    package var stripes: [Stripe] = []
    package private(set) var used = 0
    /// Chunks that left their chain in this take.
    package var left: [UInt16] = []

    package init() {}

    package var isEmpty: Bool { used == 0 }

    /// A fresh entry for the next stripe with records.
    package mutating func nextStripe() -> Int {
        if used == stripes.count {
            stripes.append(Stripe())
        }
        stripes[used].unprotected.removeAll(keepingCapacity: true)
        stripes[used].protected.removeAll(keepingCapacity: true)
        used += 1
        return used - 1
    }

    package mutating func removeAll() {
        used = 0
        left.removeAll(keepingCapacity: true)
    }
}

/// The collector's staging area: records taken from the stripes, merged into one order and waiting
/// to go out in batches. A plain struct the collector owns.
///
/// Order: each stripe's records keep the order they were stored in (both chains merged by the
/// stripe's order counter), so each thread's records keep theirs; records from different stripes
/// are merged by timestamp, so a task that moved between threads between two calls also keeps its
/// order (the stripes are taken under all their locks at once, so both records are in the same take
/// or the earlier one in an earlier take). Sequence numbers are given as records go out, and skip by
/// the number of records dropped for overflow since the previous take, so a gap shows a loss.
package struct BatchAssembler {
    private var staged: [UnsafeRawPointer] = []
    /// Each processed record's sinks (bit `i`: sink `i`), when routing follows the stages' masks.
    private var masks: [UInt64] = []
    private var head = 0
    /// Whether the collector runs stages over what is taken: records then count as unprocessed
    /// until the stages replaced them.
    package var runsStages = false
    /// Whether the stages route records by mask (sink filters, backtraces).
    package var tracksMasks = false
    /// Where the records the stages have not processed yet begin (they are the last ones staged).
    package private(set) var unprocessedStart = 0
    /// Sequence numbers to skip before the staged record at `index`.
    private var gaps: [(index: Int, count: UInt64)] = []
    package private(set) var nextSequence: UInt64 = 1
    /// Records dropped for overflow up to the previous take.
    private var overflowDropsSeen = 0
    private var unprotected: [UnsafeRawPointer] = []
    private var protected: [UnsafeRawPointer] = []
    private var perStripe: [[UnsafeRawPointer]] = []
    private var cursors: [Int] = []

    package init() {}

    /// Records staged.
    package var count: Int { staged.count - head }

    /// The staged records the stages have not processed yet.
    package var unprocessed: ArraySlice<UnsafeRawPointer> { staged[unprocessedStart...] }

    /// Calls `body` with the staged records the stages have not processed yet, in place.
    package func withUnprocessed<R>(_ body: (UnsafeBufferPointer<UnsafeRawPointer>) -> R) -> R {
        staged.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[min(unprocessedStart, all.count)...]))
        }
    }

    /// The stages kept every unprocessed record as it was: they count as processed now, with
    /// `newMasks` (when ``tracksMasks``).
    package mutating func markProcessed(masks newMasks: [UInt64]) {
        if tracksMasks {
            masks.removeSubrange(min(unprocessedStart, masks.count)...)
            masks.append(contentsOf: newMasks)
        }
        unprocessedStart = staged.count
    }

    /// Replaces the unprocessed records with what the stages made of them (and their masks, when
    /// ``tracksMasks``).
    package mutating func replaceUnprocessed(with records: [UnsafeRawPointer], masks newMasks: [UInt64]) {
        staged.replaceSubrange(unprocessedStart..., with: records)
        if tracksMasks {
            masks.removeSubrange(min(unprocessedStart, masks.count)...)
            masks.append(contentsOf: newMasks)
        }
        unprocessedStart = staged.count
    }

    /// Stages a record a stage wrote by itself (already processed).
    package mutating func appendProcessed(_ record: UnsafeRawPointer, mask: UInt64) {
        precondition(unprocessedStart == staged.count, "internal inconsistency: unprocessed records staged")
        staged.append(record)
        if tracksMasks {
            masks.append(mask)
        }
        unprocessedStart = staged.count
    }

    /// Stages the records of a take, after skipping as many sequence numbers as records were dropped
    /// for overflow since the previous take.
    package mutating func add(_ cuts: StripeCuts, overflowDropsSoFar: Int) {
        guard !cuts.isEmpty else { return }
        compact()
        defer {
            if !runsStages {
                unprocessedStart = staged.count
            }
        }
        if overflowDropsSoFar > overflowDropsSeen {
            gaps.append((staged.count, UInt64(overflowDropsSoFar - overflowDropsSeen)))
            overflowDropsSeen = overflowDropsSoFar
        }
        if cuts.used == 1 && cuts.stripes[0].protected.isEmpty {
            // The common case: one stripe, one chain, already in order.
            Self.walk(cuts.stripes[0].unprotected, into: &staged)
            return
        }
        while perStripe.count < cuts.used {
            perStripe.append([])
        }
        for index in 0..<cuts.used {
            perStripe[index].removeAll(keepingCapacity: true)
            let stripe = cuts.stripes[index]
            if stripe.protected.isEmpty {
                Self.walk(stripe.unprotected, into: &perStripe[index])
            } else if stripe.unprotected.isEmpty {
                Self.walk(stripe.protected, into: &perStripe[index])
            } else {
                unprotected.removeAll(keepingCapacity: true)
                protected.removeAll(keepingCapacity: true)
                Self.walk(stripe.unprotected, into: &unprotected)
                Self.walk(stripe.protected, into: &protected)
                Self.mergeByOrder(unprotected, protected, into: &perStripe[index])
            }
        }
        if cuts.used == 1 {
            staged.append(contentsOf: perStripe[0])
        } else {
            mergeByTimestamp(stripes: cuts.used)
        }
    }

    /// Appends the records of `cuts`, in order.
    private static func walk(_ cuts: [RecordChain.Cut], into records: inout [UnsafeRawPointer]) {
        for cut in cuts {
            var cursor = cut.start
            while cursor < cut.end {
                records.append(cursor)
                cursor += Int(cursor.loadUnaligned(fromByteOffset: RecordLayout.sizeOffset, as: UInt32.self))
            }
        }
    }

    private static func order(_ record: UnsafeRawPointer) -> UInt64 {
        record.loadUnaligned(fromByteOffset: RecordLayout.sequenceOffset, as: UInt64.self)
    }

    private static func timestamp(_ record: UnsafeRawPointer) -> Int64 {
        record.loadUnaligned(fromByteOffset: RecordLayout.timestampOffset, as: Int64.self)
    }

    /// Merges a stripe's two chains back into the order the stripe stored them in.
    private static func mergeByOrder(
        _ a: [UnsafeRawPointer], _ b: [UnsafeRawPointer], into merged: inout [UnsafeRawPointer]
    ) {
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            // Order numbers only grow within a stripe (wrapping after 2^64 records is not a concern).
            if order(a[i]) < order(b[j]) {
                merged.append(a[i])
                i += 1
            } else {
                merged.append(b[j])
                j += 1
            }
        }
        merged.append(contentsOf: a[i...])
        merged.append(contentsOf: b[j...])
    }

    /// Merges the stripes' lists by timestamp (the earliest head first), keeping each list's order.
    private mutating func mergeByTimestamp(stripes: Int) {
        cursors.removeAll(keepingCapacity: true)
        cursors.append(contentsOf: repeatElement(0, count: stripes))
        while true {
            var best = -1
            var bestTimestamp = Int64.max
            for index in 0..<stripes where cursors[index] < perStripe[index].count {
                let timestamp = Self.timestamp(perStripe[index][cursors[index]])
                if best < 0 || timestamp < bestTimestamp {
                    best = index
                    bestTimestamp = timestamp
                }
            }
            guard best >= 0 else { return }
            staged.append(perStripe[best][cursors[best]])
            cursors[best] += 1
        }
    }

    /// Moves up to `limit` staged records into `batch`, numbering them.
    package mutating func fill(_ batch: RecordBatch, upTo limit: Int) {
        let n = min(limit, count)
        for offset in 0..<n {
            let index = head + offset
            while let gap = gaps.first, gap.index <= index {
                nextSequence &+= gap.count
                gaps.removeFirst()
            }
            let record = staged[index]
            UnsafeMutableRawPointer(mutating: record).storeBytes(
                of: nextSequence, toByteOffset: RecordLayout.sequenceOffset, as: UInt64.self)
            nextSequence &+= 1
            if tracksMasks {
                batch.append(record, mask: masks[index])
            } else {
                batch.append(record)
            }
        }
        head += n
        batch.seal(masked: tracksMasks)
    }

    /// Discards everything staged (shutdown) and appends the bytes they took in each chunk to `runs`.
    package mutating func removeAll(runs: inout [ChunkRun]) -> Int {
        let discarded = count
        for index in head..<staged.count {
            let record = EncodedRecord(staged[index])
            let chunk = UInt16(truncatingIfNeeded: record.chunk)
            if let last = runs.indices.last, runs[last].chunk == chunk {
                runs[last].bytes += record.size
            } else {
                runs.append(ChunkRun(chunk: chunk, bytes: record.size))
            }
        }
        staged.removeAll(keepingCapacity: true)
        masks.removeAll(keepingCapacity: true)
        gaps.removeAll()
        head = 0
        unprocessedStart = 0
        return discarded
    }

    private mutating func compact() {
        guard head > 0 else { return }
        if head == staged.count {
            staged.removeAll(keepingCapacity: true)
        } else {
            staged.removeFirst(head)
        }
        if tracksMasks {
            if head >= masks.count {
                masks.removeAll(keepingCapacity: true)
            } else {
                masks.removeFirst(head)
            }
        }
        for index in gaps.indices {
            gaps[index].index -= head
        }
        unprocessedStart -= head
        head = 0
    }
}
