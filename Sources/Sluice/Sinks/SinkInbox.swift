/// One sink's bounded inbox: the collector puts batches and control markers in, the sink's driver
/// takes them out in order. Batches count against the capacity; flush, reopen and close markers never
/// do, so they are never refused. A flush (or reopen) marker that would land right behind another
/// of its kind, with no batch between them, rides on that one instead, so a hung sink's inbox holds
/// a bounded number of markers however often someone flushes.
package final class SinkInbox: Sendable {
    package enum Item: Sendable {
        case batch(RecordBatch)
        case flush(FlushBarrier)
        case reopen(FlushBarrier)
        case close

        var barrier: FlushBarrier? {
            switch self {
            case .flush(let barrier), .reopen(let barrier): barrier
            case .batch, .close: nil
            }
        }
    }

    private struct State {
        var items: [Item] = []
        var batches = 0
        var consumer: UnsafeContinuation<Item, Never>?
        /// The collector waiting for room (``SinkInbox/waitForRoom(until:timers:)``; one at a time),
        /// and until when.
        var roomWaiter: UnsafeContinuation<Bool, Never>?
        var roomWaiterDeadline = ContinuousClock.Instant.now
        /// Threads waiting for room in synchronous mode (``SinkInbox/waitForRoomBlocking(untilMonotonicNanoseconds:)``).
        var roomWaiters: [Promise<Bool>] = []
        /// Set when the collector gave up waiting for room; cleared when the sink takes a batch.
        var stalled = false
        /// Set at the shutdown deadline: nothing more is accepted.
        var abandoned = false

        /// The barrier of a marker of the same kind as `item` in the trailing run of markers (no
        /// batch behind it), which `item`'s barrier can ride on.
        func markerToRideOn(_ item: Item) -> FlushBarrier? {
            for queued in items.reversed() {
                switch (queued, item) {
                case (.batch, _), (.close, _):
                    return nil
                case (.flush(let existing), .flush), (.reopen(let existing), .reopen):
                    return existing
                default:
                    continue
                }
            }
            return nil
        }

        /// Removes the oldest item (the inbox holds a handful, so shifting is cheap) and hands over
        /// the inbox's reference to it.
        mutating func popFirst() -> Item? {
            items.isEmpty ? nil : items.removeFirst()
        }
    }

    package let capacity: Int
    /// The sink's index in the pipeline (the one its barriers know it by).
    package let sinkIndex: Int
    private let state: LockedValue<State>
    /// What a room-wait timer does, made once so that waiting for room allocates nothing.
    private let roomTimeout: @Sendable () -> Void

    package init(capacity: Int, sinkIndex: Int = 0) {
        self.capacity = capacity
        self.sinkIndex = sinkIndex
        let state = LockedValue(State())
        self.state = state
        roomTimeout = { Self.timeOutRoomWaiter(state) }
    }

    /// Items waiting (batches and markers).
    package var itemCount: Int { state.withLock { $0.items.count } }

    /// Batches waiting.
    package var depth: Int { state.withLock { $0.batches } }

    /// Whether the collector gave up waiting for this sink and has not seen it catch up since.
    package var isStalled: Bool { state.withLock { $0.stalled } }

    /// Whether the collector waits for room now.
    package var isWaitedOnForRoom: Bool { state.withLock { $0.roomWaiter != nil } }

    package func markStalled() {
        state.withLock { $0.stalled = true }
    }

    package enum OfferResult: Equatable {
        case accepted
        case full
        case abandoned
    }

    /// Adds a batch if there is room.
    package func offer(_ batch: RecordBatch) -> OfferResult {
        deliver(.batch(batch), countsAgainstCapacity: true)
    }

    /// Adds a flush, reopen or close marker (never refused unless abandoned).
    @discardableResult
    package func enqueueControl(_ item: Item) -> OfferResult {
        deliver(item, countsAgainstCapacity: false)
    }

    private func deliver(_ item: Item, countsAgainstCapacity: Bool) -> OfferResult {
        enum Decision {
            case refused(OfferResult)
            case handOff(UnsafeContinuation<Item, Never>)
            case queued
        }
        let decision: Decision = state.withLock { state in
            if state.abandoned {
                return .refused(.abandoned)
            }
            if countsAgainstCapacity && state.batches >= capacity {
                return .refused(.full)
            }
            if !countsAgainstCapacity, let existing = state.markerToRideOn(item) {
                existing.carry(item.barrier!, forSink: sinkIndex)
                return .queued
            }
            if let consumer = state.consumer {
                // The sink is idle and waiting: hand the item straight over.
                state.consumer = nil
                if countsAgainstCapacity {
                    state.stalled = false
                }
                return .handOff(consumer)
            }
            state.items.append(item)
            if countsAgainstCapacity {
                state.batches += 1
            }
            return .queued
        }
        switch decision {
        case .refused(let result):
            return result
        case .handOff(let consumer):
            consumer.resume(returning: item)
            return .accepted
        case .queued:
            return .accepted
        }
    }

    /// Waits until a batch fits or `deadline` passes (timers run on `timers`). Returns whether there
    /// is room.
    ///
    /// It allocates nothing: the collector's continuation waits in the inbox, and the timer runs an
    /// action made once. The timer ends whichever wait is due by then, so a timer that fires late
    /// for an earlier wait ends no later one before its time (within a millisecond).
    package func waitForRoom(until deadline: ContinuousClock.Instant, timers: ThreadExecutor) async -> Bool {
        var timer: ThreadExecutor.TimerHandle?
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Bool, Never>) in
            let immediate: Bool? = state.withLock { state in
                if state.abandoned {
                    return false
                }
                if state.batches < capacity {
                    return true
                }
                precondition(state.roomWaiter == nil, "internal inconsistency: two collectors wait on one inbox")
                state.roomWaiter = continuation
                state.roomWaiterDeadline = deadline
                return nil
            }
            if let immediate {
                continuation.resume(returning: immediate)
            } else {
                timer = timers.schedule(at: deadline, roomTimeout)
            }
        }
        if let timer {
            timers.cancel(timer)
        }
        return result
    }

    /// A room-wait timer fired: ends the wait if it is due.
    private static func timeOutRoomWaiter(_ state: LockedValue<State>) {
        let now = ContinuousClock.now
        let waiter: UnsafeContinuation<Bool, Never>? = state.withLock { state in
            guard let waiter = state.roomWaiter, now.advanced(by: .milliseconds(1)) >= state.roomWaiterDeadline
            else { return nil }
            state.roomWaiter = nil
            return waiter
        }
        waiter?.resume(returning: false)
    }

    /// Like ``waitForRoom(until:timers:)``, blocking the calling thread (synchronous mode) until
    /// `deadline` (monotonic nanoseconds).
    package func waitForRoomBlocking(untilMonotonicNanoseconds deadline: UInt64) -> Bool {
        let promise = Promise<Bool>()
        let immediate: Bool? = state.withLock { state in
            if state.abandoned {
                return false
            }
            if state.batches < capacity {
                return true
            }
            state.roomWaiters.append(promise)
            return nil
        }
        if let immediate {
            return immediate
        }
        return promise.wait(untilMonotonicNanoseconds: deadline) ?? false
    }

    /// The driver's side: the next item, waiting for one if needed.
    package func next() async -> Item {
        // An unsafe continuation, because a checked one allocates per batch: this one is resumed
        // exactly once, either here or by the one `deliver` that finds it in `consumer`.
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Item, Never>) in
            let (item, roomWaiter, roomWaiters): (Item?, UnsafeContinuation<Bool, Never>?, [Promise<Bool>]) =
                state.withLock { state in
                    guard let item = state.popFirst() else {
                        precondition(state.consumer == nil, "internal inconsistency: two consumers on one inbox")
                        state.consumer = continuation
                        return (nil, nil, [])
                    }
                    if case .batch = item {
                        state.batches -= 1
                        state.stalled = false
                    }
                    let roomWaiter = state.roomWaiter
                    state.roomWaiter = nil
                    // Swapped out only when someone waits: assigning an empty array frees nothing.
                    var waiters: [Promise<Bool>] = []
                    if !state.roomWaiters.isEmpty {
                        swap(&waiters, &state.roomWaiters)
                    }
                    return (item, roomWaiter, waiters)
                }
            roomWaiter?.resume(returning: true)
            for waiter in roomWaiters {
                waiter.fulfill(true)
            }
            if let item {
                continuation.resume(returning: item)
            }
        }
    }

    /// At the shutdown deadline: refuses everything from now on, wakes the collector if it waits for
    /// room, and returns the batches that never reached the sink.
    package func abandon() -> [RecordBatch] {
        let (batches, roomWaiter, waiters): ([RecordBatch], UnsafeContinuation<Bool, Never>?, [Promise<Bool>]) =
            state.withLock { state in
                state.abandoned = true
                var batches: [RecordBatch] = []
                while let item = state.popFirst() {
                    if case .batch(let batch) = item {
                        batches.append(batch)
                    }
                }
                state.batches = 0
                let roomWaiter = state.roomWaiter
                state.roomWaiter = nil
                let waiters = state.roomWaiters
                state.roomWaiters = []
                return (batches, roomWaiter, waiters)
            }
        roomWaiter?.resume(returning: false)
        for waiter in waiters {
            waiter.fulfill(false)
        }
        return batches
    }
}
