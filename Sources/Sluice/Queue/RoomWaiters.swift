import Synchronization

/// Tasks suspended in an awaitable log call (``SluiceLogger/send(_:_:metadata:file:function:line:)``)
/// until the queue has room or memory again: the suspending counterpart of the condition variable
/// that parks synchronous callers under `block`.
///
/// A caller reads ``generation`` before it tries for room and waits only if no wake-up came since,
/// so a wake-up between the try and the wait is never lost. Waking costs an atomic increment when
/// nobody waits, so the collector can call ``wakeAll()`` for every batch.
package final class RoomWaiters: Sendable {
    private let waiters = LockedValue([Promise<Void>]())
    private let counter = Atomic<UInt64>(0)
    private let registered = Atomic<Int>(0)

    package init() {}

    /// Changes with every ``wakeAll()``.
    package var generation: UInt64 {
        counter.load(ordering: .sequentiallyConsistent)
    }

    /// Suspends until a wake-up after `generation`, the deadline (timed on `timers`) or the task's
    /// cancellation, whichever comes first. Returns at once if a wake-up already came.
    package func wait(after generation: UInt64, deadline: ContinuousClock.Instant?, timers: ThreadExecutor) async {
        let promise = Promise<Void>()
        registered.add(1, ordering: .sequentiallyConsistent)
        let waiting = waiters.withLock { waiters -> Bool in
            // After `registered` went up: a waker that missed the count has already moved the
            // generation, and this sees it.
            guard counter.load(ordering: .sequentiallyConsistent) == generation else { return false }
            waiters.append(promise)
            return true
        }
        guard waiting else {
            registered.subtract(1, ordering: .sequentiallyConsistent)
            return
        }
        let timer = deadline.map { deadline in timers.schedule(at: deadline) { promise.fulfill(()) } }
        await promise.wait(cancellingWith: {})
        if let timer {
            timers.cancel(timer)
        }
        waiters.withLock { waiters in
            if let index = waiters.firstIndex(where: { $0 === promise }) {
                waiters.remove(at: index)
            }
        }
        registered.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Room, memory or the intake changed: every waiter tries again.
    package func wakeAll() {
        counter.add(1, ordering: .sequentiallyConsistent)
        guard registered.load(ordering: .sequentiallyConsistent) > 0 else { return }
        let woken = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        for promise in woken {
            promise.fulfill(())
        }
    }
}
