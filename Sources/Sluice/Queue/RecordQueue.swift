/// The bounded record queue as a plain state machine: overflow policies, sequence numbers, intake
/// states and the wake-up signals for the collector. It does no locking, waiting or I/O itself;
/// ``PipelineCore`` holds it under its lock and carries out what it answers.
///
/// Records below the protected level and records at or above it wait in two FIFOs, so the dropping
/// policies can evict the oldest (or newest) unprotected record in O(1). Each FIFO keeps its records
/// in chunks of one batch, so taking a batch hands over a chunk without copying a record. Sequence
/// numbers are assigned on acceptance, so ``take(upTo:)`` restores the exact enqueue order by merging
/// the two when both hold records.
package struct RecordQueue: ~Copyable {
    /// Whether new log calls are accepted.
    package enum Intake: Sendable, Equatable {
        /// Normal operation.
        case open
        /// Shutdown started: new calls are dropped (reason `shutdown`), but callers already waiting
        /// under `block` still get in as room frees up, because they logged before the shutdown.
        case draining
        /// The shutdown deadline passed or the pipeline stopped: everything is dropped.
        case closed
    }

    /// A wake-up the collector must receive after the lock is released.
    package enum Signal: Sendable, Equatable {
        /// The queue went from empty to non-empty: start the batch timer.
        case recordsAvailable
        /// The queue holds at least a full batch.
        case batchReady
    }

    /// The answer to an offered record.
    package enum OfferResult: Equatable {
        /// Queued; send `signal` to the collector if there is one.
        case accepted(signal: Signal?)
        /// Not queued; already counted as dropped.
        case dropped
        /// The queue is full under `block`: wait for room, then offer again with `isRetry: true`.
        case mustWait
    }

    /// The decision for a record about to be logged, before it is stored.
    package enum Admission: Equatable {
        /// Store it with ``store(_:admission:)`` (room was made if needed).
        case admit(protected: Bool)
        /// Discard it; already counted as dropped.
        case reject
        /// The queue is full under `block`: wait for room, then ask again with `isRetry: true`.
        case mustWait
    }

    package let capacity: Int
    package let policy: OverflowPolicy
    package let protectedLevel: LogLevel
    package let batchSize: Int

    private var unprotected: ChunkedQueue<LogRecord>
    private var protected: ChunkedQueue<LogRecord>
    package private(set) var intake: Intake = .open
    package private(set) var nextSequence: UInt64 = 1
    private var notifiedNonEmpty = false
    private var notifiedBatchReady = false

    // Counters.
    package private(set) var logged = 0
    package private(set) var droppedOverflow = 0
    package private(set) var droppedShutdown = 0
    package private(set) var highWaterMark = 0
    package var waitingProducers = 0

    package init(options: QueueOptions, batchSize: Int) {
        capacity = options.capacity
        policy = options.overflow
        protectedLevel = options.protectedLevel
        self.batchSize = batchSize
        unprotected = ChunkedQueue(chunkSize: batchSize)
        protected = ChunkedQueue(chunkSize: batchSize, maximumSpares: 2)
    }

    /// Records waiting in the queue.
    package var count: Int { unprotected.count + protected.count }

    /// Decides what happens to a record at `level`, making room (by the overflow policy) if it is to
    /// be stored. `isRetry` is true when the caller waited after a `.mustWait` answer (it was counted
    /// as logged the first time). `canWait` is false on Sluice's own threads.
    package mutating func admit(level: LogLevel, isRetry: Bool, canWait: Bool) -> Admission {
        if !isRetry {
            logged += 1
        }
        switch intake {
        case .open:
            break
        case .draining where isRetry:
            break
        case .draining, .closed:
            droppedShutdown += 1
            return .reject
        }

        let isProtected = policy.kind != .block && level >= protectedLevel
        if count >= capacity {
            switch policy.kind {
            case .block:
                guard canWait else {
                    droppedOverflow += 1
                    return .reject
                }
                return .mustWait
            case .dropNewest:
                // The newest record goes, unless it is protected and an unprotected one can go instead.
                droppedOverflow += 1
                guard isProtected, unprotected.removeLast() else {
                    return .reject
                }
            case .dropOldest:
                droppedOverflow += 1
                // Full of protected records and this one is not: it is the one to discard.
                guard unprotected.removeFirst() || (isProtected && protected.removeFirst()) else {
                    return .reject
                }
            }
        }
        return .admit(protected: isProtected)
    }

    /// Stores an admitted record, numbering it, and says which wake-up the collector needs.
    package mutating func store(_ record: consuming LogRecord, admission: Admission) -> Signal? {
        guard case .admit(let isProtected) = admission else {
            preconditionFailure("internal inconsistency: storing a record that was not admitted")
        }
        record.sequence = nextSequence
        nextSequence += 1
        if isProtected {
            protected.append(record)
        } else {
            unprotected.append(record)
        }
        let depth = count
        if depth > highWaterMark {
            highWaterMark = depth
        }
        if !notifiedNonEmpty {
            notifiedNonEmpty = true
            return .recordsAvailable
        }
        if depth >= batchSize && !notifiedBatchReady {
            notifiedBatchReady = true
            return .batchReady
        }
        return nil
    }

    /// Admits and stores a record in one step (for tests and tools; the pipeline uses `admit` and
    /// `store` so the record is moved, not copied, into the queue).
    package mutating func offer(_ record: inout LogRecord, isRetry: Bool, canWait: Bool) -> OfferResult {
        let admission = admit(level: record.level, isRetry: isRetry, canWait: canWait)
        switch admission {
        case .admit:
            return .accepted(signal: store(record, admission: admission))
        case .reject:
            return .dropped
        case .mustWait:
            return .mustWait
        }
    }

    /// Removes up to `limit` records in sequence order and re-arms the wake-up signals. When only one
    /// of the two FIFOs holds records (the common case) the batch is its oldest chunk, uncopied.
    package mutating func take(upTo limit: Int) -> [LogRecord] {
        var batch: [LogRecord]
        if protected.isEmpty {
            batch = unprotected.takeChunk(upTo: limit)
        } else if unprotected.isEmpty {
            batch = protected.takeChunk(upTo: limit)
        } else {
            batch = []
            batch.reserveCapacity(min(limit, count))
            while batch.count < limit, let next = popOldest() {
                batch.append(next)
            }
        }
        if count == 0 {
            notifiedNonEmpty = false
        }
        if count < batchSize {
            notifiedBatchReady = false
        }
        return batch
    }

    /// Removes the record with the lowest sequence number from either FIFO.
    private mutating func popOldest() -> LogRecord? {
        switch (unprotected.withFirst { $0.sequence }, protected.withFirst { $0.sequence }) {
        case (let u?, let p?): u < p ? unprotected.popFirst() : protected.popFirst()
        case (.some, nil): unprotected.popFirst()
        case (nil, .some): protected.popFirst()
        case (nil, nil): nil
        }
    }

    /// Offers an emptied batch array for reuse.
    package mutating func donate(_ array: [LogRecord]) {
        unprotected.donate(array)
    }

    /// Stops accepting new log calls (shutdown began).
    package mutating func beginDraining() {
        if intake == .open {
            intake = .draining
        }
    }

    /// Stops accepting anything and discards what is still queued, counting it as dropped for
    /// `shutdown`. Returns the number discarded.
    @discardableResult
    package mutating func close() -> Int {
        intake = .closed
        let discarded = count
        unprotected.removeAll()
        protected.removeAll()
        droppedShutdown += discarded
        return discarded
    }
}
