/// What the collector's stages report: records they removed, held, rewrote or wrote themselves.
extension PipelineStorage {
    /// Applies one stage pass to the queue and the stage ledger at once, so a stats snapshot sees
    /// each record in exactly one place; wakes producers waiting for the room it gave back.
    package func apply(_ tally: StageTally) {
        let wake: Bool = lock.withLock {
            queue.staged += tally.stagedAdded - tally.stagedRemoved
            queue.returnRoom(tally.roomReturned)
            stageLedger.apply(tally)
            return tally.roomReturned > 0 && queue.waiting > 0
        }
        if wake {
            roomAvailable.broadcast()
        }
    }
}
