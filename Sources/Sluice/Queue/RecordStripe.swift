/// Whether a pipeline accepts new log calls.
package enum QueueIntake: Sendable, Equatable {
    /// Normal operation.
    case open
    /// Shutdown started: new calls are dropped (reason `shutdown`), but callers already waiting
    /// under `block` still get in as room frees up, because they logged before the shutdown.
    case draining
    /// The shutdown deadline passed, or the drain finished: everything is dropped.
    case closed
    /// The shutdown completed. Calls now are counted as ``DropCounts/afterShutdown``, not as lost.
    case stopped

    /// Whether a call that was already on its way in (waiting for room) may still store its record.
    package var admitsWaitingCalls: Bool {
        self == .open || self == .draining
    }
}

/// A wake-up the collector must receive after the caller released its lock.
package enum QueueSignal: Sendable, Equatable {
    /// A stripe went from empty to non-empty: start the batch timer.
    case recordsAvailable
    /// A stripe holds a full batch.
    case batchReady
}

/// The records of the threads that map to one stripe, and their counters: a plain struct, used
/// under the stripe's own lock so producers on different threads never share a lock or a cache
/// line on the way in.
///
/// Records below the protected level and records at or above it wait in two chains, so the
/// dropping policies can evict the oldest (or newest) unprotected record in O(1). Both chains share
/// one order counter, so the collector restores the stripe's exact order when it takes them.
package struct RecordStripe {
    package var intake: QueueIntake = .open
    /// Records this stripe may still store without asking the queue for room.
    package var credits = 0
    package var logged = 0
    package var droppedOverflow = 0
    package var droppedShutdown = 0
    /// Calls that waited for room under `block(timeout:)` until the timeout passed.
    package var droppedTimedOut = 0
    /// Awaitable calls whose task was cancelled while waiting for room.
    package var droppedCancelled = 0
    /// Calls made after the shutdown completed (not counted in `logged`).
    package var afterShutdown = 0
    /// Calls that left this stripe's lock to ask the queue for room (or wait for it) and have not
    /// come back: logged, not yet stored or dropped.
    package var inTransit = 0
    package var unprotected: RecordChain
    package var protected: RecordChain
    /// The order of the next record within the stripe.
    package var nextOrder: UInt64 = 0
    /// Records stored since the collector last took this stripe's records.
    package var sinceCut = 0
    /// How many records since the last take make a full batch together with what the collector
    /// kept back from it.
    private var batchReadyAt = Int.max
    private var notifiedNonEmpty = false
    private var notifiedBatchReady = false
    package var sources = SourceLocationCache()

    /// A stripe whose chains have room for `segments` chunks each.
    package init(reservingSegments segments: Int = 0) {
        unprotected = RecordChain(reservingSegments: segments)
        protected = RecordChain(reservingSegments: segments)
    }

    /// Records queued in both chains.
    @inline(__always)
    package var queued: Int { unprotected.count + protected.count }

    /// A record was stored: the wake-up the collector needs, if any (once per take each).
    @inline(__always)
    package mutating func stored(batchSize: Int) -> QueueSignal? {
        sinceCut += 1
        if !notifiedNonEmpty {
            notifiedNonEmpty = true
            return .recordsAvailable
        }
        if sinceCut >= min(batchSize, batchReadyAt) && !notifiedBatchReady {
            notifiedBatchReady = true
            return .batchReady
        }
        return nil
    }

    /// The collector took everything and kept back `heldBack` records short of a full batch: re-arm
    /// the wake-ups so that the records completing that batch signal it.
    package mutating func wasCut(heldBack: Int = 0, batchSize: Int = .max) {
        batchReadyAt = heldBack > 0 ? batchSize - heldBack : .max
        sinceCut = 0
        notifiedNonEmpty = false
        notifiedBatchReady = false
    }
}
