/// What the collector asks of the storage: take records, open batches, drain and close.
extension PipelineStorage {
    /// Records waiting to be batched: queued in the stripes plus staged in the collector.
    package var pendingCount: Int {
        withEverythingLocked {
            var queued = queue.staged
            for index in 0..<stripes.count {
                queued += stripes[index].pointee.queued
            }
            return queued
        }
    }

    /// The collector is about to wait with nothing pending (it then checks ``pendingCount`` once more,
    /// which takes every stripe's lock after this store, so no record can slip between the two).
    package func collectorParks() {
        collectorParked.store(true, ordering: .sequentiallyConsistent)
    }

    /// The collector found records after parking; returns false if a producer already woke it.
    package func collectorUnparks() -> Bool {
        collectorParked.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged
    }

    /// Whether nothing is queued or staged and no call is still on its way in.
    package var isDrained: Bool {
        withEverythingLocked {
            guard queue.staged == 0 else { return false }
            for index in 0..<stripes.count
            where stripes[index].pointee.queued > 0 || stripes[index].pointee.inTransit > 0 {
                return false
            }
            return true
        }
    }

    /// Takes every queued record from every stripe (under all their locks at once, so the take is one
    /// consistent cut) into the collector's staging area, in order. Returns the records staged.
    /// With `fullBatchesOnly`, the collector will keep back what does not fill a batch; the stripes
    /// then signal as soon as their new records complete it.
    @discardableResult
    package func take(
        into assembler: inout BatchAssembler,
        cuts: inout StripeCuts,
        runs: inout [ChunkRun],
        fullBatchesOnly: Bool = false
    ) -> Int {
        cuts.removeAll()
        runs.removeAll(keepingCapacity: true)
        var overflowDrops = 0
        withEverythingLocked {
            var depth = queue.staged
            for index in 0..<stripes.count {
                depth += stripes[index].pointee.queued
            }
            let heldBack = fullBatchesOnly ? depth % batchSize : 0
            var taken = 0
            for index in 0..<stripes.count {
                let stripe = stripes[index]
                overflowDrops += stripe.pointee.droppedOverflow
                let queued = stripe.pointee.queued
                stripe.pointee.wasCut(heldBack: heldBack, batchSize: batchSize)
                guard queued > 0 else { continue }
                let entry = cuts.nextStripe()
                stripe.pointee.unprotected.cut(into: &cuts.stripes[entry].unprotected, leaving: &cuts.left)
                stripe.pointee.protected.cut(into: &cuts.stripes[entry].protected, leaving: &cuts.left)
                for cut in cuts.stripes[entry].unprotected {
                    runs.append(ChunkRun(chunk: cut.chunk, bytes: cut.end - cut.start))
                }
                for cut in cuts.stripes[entry].protected {
                    runs.append(ChunkRun(chunk: cut.chunk, bytes: cut.end - cut.start))
                }
                taken += queued
            }
            queue.observeDepth(depth)
            queue.staged += taken
            queue.pressureSignalled = false
            if taken > 0 {
                // Before the stripes are unlocked: an eviction right after must not free a chunk whose
                // taken records are not counted yet.
                chunks.taken(runs, leaving: cuts.left)
            }
        }
        assembler.add(cuts, overflowDropsSoFar: overflowDrops)
        return assembler.count
    }

    /// Fills a batch with up to `limit` staged records and opens its ledger account; the room they
    /// held goes back to the queue (waking producers parked under `block`).
    package func openBatch(from assembler: inout BatchAssembler, upTo limit: Int) -> RecordBatch? {
        guard assembler.count > 0 else { return nil }
        let batch = batches.take()
        assembler.fill(batch, upTo: limit)
        let wake: Bool = lock.withLock {
            batch.id = ledger.openBatch(
                count: batch.count, levelCounts: batch.levelCounts, oldestTimestamp: batch.oldestTimestamp,
                meanTimestamp: batch.meanTimestamp,
                masks: batch.usesMasks ? (batch.sinkCounts, batch.maskGroups) : nil)
            queue.staged -= batch.count
            // Records the stages wrote hold no room.
            queue.returnRoom(batch.count - batch.detachedCount)
            return queue.waiting > 0
        }
        if wake {
            roomAvailable.broadcast()
        }
        return batch
    }

    /// Shutdown began: new log calls are dropped; producers already waiting still get in.
    package func beginDraining() {
        withEverythingLocked {
            if queue.intake == .open {
                queue.intake = .draining
            }
            for index in 0..<stripes.count where stripes[index].pointee.intake == .open {
                stripes[index].pointee.intake = .draining
            }
            if state == .running {
                state = .draining
            }
        }
    }

    /// Refuses everything from now on, discards what is still queued in the stripes (counted as
    /// dropped for shutdown) and wakes every waiting producer so it can return. Records the collector
    /// staged are counted here too; the collector discards them when it next runs.
    package func closeIntake() {
        var left: [UInt16] = []
        withEverythingLocked {
            queue.intake = .closed
            for index in 0..<stripes.count {
                let stripe = stripes[index]
                stripe.pointee.intake = .closed
                let discarded =
                    stripe.pointee.unprotected.removeAll(leaving: &left)
                    + stripe.pointee.protected.removeAll(leaving: &left)
                stripe.pointee.droppedShutdown += discarded
                stripe.pointee.wasCut()
            }
            queue.droppedShutdown += queue.staged
            queue.staged = 0
            // What the stages still hold (a backtrace ring, a pending repeat) is lost too.
            stageLedger.droppedShutdown += stageLedger.held
            stageLedger.held = 0
        }
        chunks.leftChain(left)
        chunks.close()
        roomAvailable.broadcast()
    }

    /// After ``closeIntake()``: releases the memory of records the collector still had staged.
    package func discardStaged(_ assembler: inout BatchAssembler) {
        var runs: [ChunkRun] = []
        _ = assembler.removeAll(runs: &runs)
        chunks.release(runs)
    }

    /// Whether intake is closed (the shutdown deadline passed).
    package var isClosed: Bool {
        lock.withLock { queue.intake == .closed }
    }

    /// Settles everything still in flight as dropped for shutdown (the deadline passed).
    package func settleAllPending() {
        let now = LogTimestamp.now().nanosecondsSinceEpoch
        lock.withLock { ledger.settleAllPending(now: now) }
    }

    package func markStopped() {
        lock.withLock { state = .stopped }
    }

    package var pipelineState: PipelineState {
        lock.withLock { state }
    }
}
