/// The queue's shared state, as a plain struct used under the pipeline storage's lock: the room not
/// yet handed to any stripe, the records the collector took but has not batched, producers waiting
/// for room, the intake state and the overflow decisions. It does no locking, waiting or I/O.
///
/// Room is counted in records. It circulates: the pool hands it to stripes in blocks (so a stripe
/// stores most records without touching this lock), a stored record holds one unit, and a unit comes
/// back to the pool when its record is handed to the sinks in a batch (or dropped). At every moment
/// `pool + stripes' credits + records queued or staged + units in transit == capacity`.
package struct QueueState {
    /// What a record that found no room should do.
    package enum OverflowAction: Equatable {
        /// Park until the collector makes room (`block`, or `block(timeout:)` until its deadline).
        case wait
        /// Drop the record being logged.
        case drop
        /// Evict the oldest queued record below the protected level (`protectedToo`: or, failing
        /// that, the oldest protected one), and take its room.
        case evictOldest(protectedToo: Bool)
        /// Evict the newest queued record below the protected level and take its room.
        case evictNewestUnprotected
    }

    package let capacity: Int
    package let policy: OverflowPolicy
    package let protectedLevel: LogLevel
    /// How much room a stripe takes from the pool at a time.
    package let block: Int
    /// Room no stripe holds.
    package private(set) var pool: Int
    package var intake: QueueIntake = .open
    /// Records the collector took from the stripes and has not handed to the sinks yet.
    package var staged = 0
    /// Producers parked for room.
    package var waiting = 0
    /// Staged records discarded at shutdown.
    package var droppedShutdown = 0
    package var highWaterMark = 0
    /// Whether the collector was told the queue is full since it last took records and since room
    /// last came back. Room coming back re-arms it: the room a staged record holds returns when its
    /// batch opens, so a signal sent while the collector's own staged records filled the queue finds
    /// nothing to take, and the queue filling up again must be signalled anew.
    package var pressureSignalled = false

    package init(options: QueueOptions, stripes: Int) {
        capacity = options.capacity
        policy = options.overflow
        protectedLevel = options.protectedLevel
        // Small enough that room parked in idle stripes stays a small share of the capacity.
        block = max(1, min(64, options.capacity / (stripes * 8)))
        pool = options.capacity
    }

    /// Takes room for one record plus up to `block - 1` more for the stripe; returns the extra, or
    /// `nil` when the pool is empty.
    package mutating func takeRoom() -> Int? {
        guard pool > 0 else { return nil }
        let granted = min(block, pool)
        pool -= granted
        return granted - 1
    }

    /// Room comes back: records were handed to the sinks or dropped, or a stripe gave up credits.
    package mutating func returnRoom(_ count: Int) {
        pool += count
        if count > 0 {
            pressureSignalled = false
        }
    }

    /// Whether a record at `level` is protected from the dropping policies.
    package func isProtected(_ level: LogLevel) -> Bool {
        !policy.waitsForRoom && level >= protectedLevel
    }

    /// What to do for a record at `level` when the queue is full. `canWait` is false on Sluice's
    /// own threads, which must never wait for themselves.
    package func overflowAction(level: LogLevel, canWait: Bool) -> OverflowAction {
        switch policy.kind {
        case .block, .blockUpTo:
            return canWait ? .wait : .drop
        case .dropNewest:
            // The newest record goes, unless it is protected and an unprotected one can go instead.
            return isProtected(level) ? .evictNewestUnprotected : .drop
        case .dropOldest:
            return .evictOldest(protectedToo: isProtected(level))
        }
    }

    /// Records queued in stripes plus staged: the depth the high-water mark follows.
    package mutating func observeDepth(_ depth: Int) {
        highWaterMark = max(highWaterMark, depth)
    }
}
