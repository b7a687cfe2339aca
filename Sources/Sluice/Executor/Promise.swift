/// A value delivered once, from any thread, and awaited by any number of tasks.
///
/// The pipeline uses promises where two events race (a flush barrier against its timeout, a sink
/// freeing room against the stall deadline): whoever calls `fulfill` first wins, later calls are
/// ignored. Continuations are resumed after the lock is released.
package final class Promise<Value: Sendable>: Sendable {
    /// A thread blocked in ``wait(untilMonotonicNanoseconds:)``.
    private final class BlockedThread: Sendable {
        let lock = Lock()
        let condition = Condition()
        let value = LockedValue<Value?>(nil)
    }

    private struct State {
        var value: Value?
        var blocked: [BlockedThread] = []
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
        var nextWaiterID: UInt64 = 0
        /// Waiters whose task was cancelled before they registered.
        var cancelledEarly: Set<UInt64> = []
    }

    private enum Immediate {
        case value(Value)
        case cancelled
        case none
    }

    private let state = LockedValue(State())

    package init() {}

    /// Delivers `value` unless a value was delivered before. Returns whether this call won.
    @discardableResult
    package func fulfill(_ value: Value) -> Bool {
        let woken: ([CheckedContinuation<Value?, Never>], [BlockedThread])? = state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            defer { state.blocked = [] }
            return (waiters, state.blocked)
        }
        guard let (waiters, blocked) = woken else { return false }
        for waiter in waiters {
            waiter.resume(returning: value)
        }
        for thread in blocked {
            thread.lock.withLock {
                thread.value.withLock { $0 = value }
                thread.condition.signal()
            }
        }
        return true
    }

    /// Blocks the calling thread until the value arrives or `deadline` (monotonic nanoseconds; `nil`:
    /// no limit) passes. For callers that cannot `await` (an `atexit` handler, a C callback); never
    /// call it on a thread the fulfilling side needs.
    package func wait(untilMonotonicNanoseconds deadline: UInt64?) -> Value? {
        let thread = BlockedThread()
        let immediate: Value? = state.withLock { state in
            if let value = state.value {
                return value
            }
            state.blocked.append(thread)
            return nil
        }
        if let immediate {
            return immediate
        }
        thread.lock.lock()
        defer { thread.lock.unlock() }
        while true {
            if let value = thread.value.withLock({ $0 }) {
                return value
            }
            if let deadline {
                guard MonotonicTime.nanoseconds() < deadline else { break }
                thread.condition.wait(thread.lock, untilMonotonicNanoseconds: deadline)
            } else {
                thread.condition.wait(thread.lock)
            }
        }
        state.withLock { state in
            state.blocked.removeAll { $0 === thread }
        }
        return thread.value.withLock { $0 }
    }

    /// The delivered value, if any.
    package var value: Value? {
        state.withLock { $0.value }
    }

    /// Waits for the value. Cancellation does not end the wait.
    package func wait() async -> Value {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        // A registered waiter is resumed with nil only by `cancel(_:)`, which this path never calls.
        return await register(id)!
    }

    /// Waits for the value, or returns `nil` as soon as the waiting task is cancelled. The promise
    /// itself stays pending for other waiters.
    package func waitUnlessCancelled() async -> Value? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await register(id)
        } onCancel: {
            cancel(id)
        }
    }

    /// Waits for the value; if the waiting task is cancelled first, fulfils the promise with
    /// `cancellationValue` (so use this only on a promise that has a single waiter).
    package func wait(cancellingWith cancellationValue: @escaping @Sendable () -> Value) async -> Value {
        await withTaskCancellationHandler {
            await wait()
        } onCancel: {
            fulfill(cancellationValue())
        }
    }

    private func register(_ id: UInt64) async -> Value? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
            let immediate: Immediate = state.withLock { state in
                let wasCancelled = state.cancelledEarly.remove(id) != nil
                if let value = state.value {
                    return .value(value)
                }
                if wasCancelled {
                    return .cancelled
                }
                state.waiters[id] = continuation
                return .none
            }
            switch immediate {
            case .value(let value): continuation.resume(returning: value)
            case .cancelled: continuation.resume(returning: nil)
            case .none: break
            }
        }
    }

    private func cancel(_ id: UInt64) {
        let waiter: CheckedContinuation<Value?, Never>? = state.withLock { state in
            if let waiter = state.waiters.removeValue(forKey: id) {
                return waiter
            }
            if state.value == nil {
                state.cancelledEarly.insert(id)
            }
            return nil
        }
        waiter?.resume(returning: nil)
    }
}
