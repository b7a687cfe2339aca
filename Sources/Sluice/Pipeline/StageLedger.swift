/// The accounting of the stages that run in the pipeline (on the collector's thread), kept under
/// the storage's lock next to the ``PipelineLedger`` so a stats snapshot sees each record in
/// exactly one place. The stages at the call count for themselves (``Sampler``,
/// ``RateLimitTable``).
package struct StageLedger {
    package var deduplicated = 0
    package var transformed = 0
    package var sinkFilter = 0
    package var backtrace = 0
    /// Records the stages wrote themselves (summaries).
    package var generated = 0
    /// Records rewritten to hide something.
    package var redacted = 0
    /// Records a stage holds and may still write (backtrace rings, a pending repeat): in flight.
    package var held = 0
    /// Records a stage could not rewrite for lack of memory, dropped (reason overflow).
    package var droppedOverflow = 0
    /// Records a stage still held when the shutdown deadline passed (reason shutdown).
    package var droppedShutdown = 0
    /// Per sink: records its level admitted and its filter turned away.
    package var sinkFiltered: [Int]
    package var transformers: [TransformerStats]

    package init(sinks: Int, transformers: [String]) {
        sinkFiltered = Array(repeating: 0, count: sinks)
        self.transformers = transformers.map { TransformerStats(name: $0) }
    }
}

/// What one pass of the stages changed, applied to the ``StageLedger`` and the queue at once.
package struct StageTally {
    /// Records removed from the staging area that held a unit of queue room.
    package var roomReturned = 0
    /// Records the staging area lost (removed, held) and gained (written by a stage).
    package var stagedRemoved = 0
    package var stagedAdded = 0
    package var deduplicated = 0
    package var transformed = 0
    package var sinkFilter = 0
    package var backtrace = 0
    package var generated = 0
    package var redacted = 0
    package var heldChange = 0
    package var droppedOverflow = 0
    package var droppedShutdown = 0
    package var sinkFiltered: [Int]
    package var transformerDropped: [Int]
    package var transformerErrors: [Int]
    package var transformerLastError: [String?]
    /// Per transformer: errors since its last normal return in this pass, and whether it returned
    /// normally at all in this pass.
    package var transformerTrailingErrors: [Int]
    package var transformerSucceeded: [Bool]

    package init(sinks: Int, transformers: Int) {
        sinkFiltered = Array(repeating: 0, count: sinks)
        transformerDropped = Array(repeating: 0, count: transformers)
        transformerErrors = Array(repeating: 0, count: transformers)
        transformerLastError = Array(repeating: nil, count: transformers)
        transformerTrailingErrors = Array(repeating: 0, count: transformers)
        transformerSucceeded = Array(repeating: false, count: transformers)
    }

    package var isEmpty: Bool {
        roomReturned == 0 && stagedRemoved == 0 && stagedAdded == 0 && deduplicated == 0 && transformed == 0
            && sinkFilter == 0 && backtrace == 0 && generated == 0 && redacted == 0 && heldChange == 0
            && droppedOverflow == 0 && droppedShutdown == 0 && sinkFiltered.allSatisfy { $0 == 0 }
            && transformerDropped.allSatisfy { $0 == 0 } && transformerErrors.allSatisfy { $0 == 0 }
            && !transformerSucceeded.contains(true)
    }

    /// Clears the counts, keeping the arrays' storage.
    package mutating func reset() {
        roomReturned = 0
        stagedRemoved = 0
        stagedAdded = 0
        deduplicated = 0
        transformed = 0
        sinkFilter = 0
        backtrace = 0
        generated = 0
        redacted = 0
        heldChange = 0
        droppedOverflow = 0
        droppedShutdown = 0
        for index in sinkFiltered.indices {
            sinkFiltered[index] = 0
        }
        for index in transformerDropped.indices {
            transformerDropped[index] = 0
            transformerErrors[index] = 0
            transformerLastError[index] = nil
            transformerTrailingErrors[index] = 0
            transformerSucceeded[index] = false
        }
    }
}

extension StageLedger {
    package mutating func apply(_ tally: StageTally) {
        deduplicated += tally.deduplicated
        transformed += tally.transformed
        sinkFilter += tally.sinkFilter
        backtrace += tally.backtrace
        generated += tally.generated
        redacted += tally.redacted
        held += tally.heldChange
        droppedOverflow += tally.droppedOverflow
        droppedShutdown += tally.droppedShutdown
        for index in sinkFiltered.indices {
            sinkFiltered[index] += tally.sinkFiltered[index]
        }
        for index in transformers.indices {
            transformers[index].dropped += tally.transformerDropped[index]
            transformers[index].errors += tally.transformerErrors[index]
            if let lastError = tally.transformerLastError[index] {
                transformers[index].lastError = lastError
            }
            if tally.transformerSucceeded[index] {
                transformers[index].consecutiveErrors = tally.transformerTrailingErrors[index]
            } else {
                transformers[index].consecutiveErrors += tally.transformerTrailingErrors[index]
            }
        }
    }
}
